"""docker-compose.yml and the Dockerfile: the stack's shape, and every service's command
run locally with the environment its container would get.

No Docker engine is needed: the compose file is parsed (PyYAML, with compose's own
``${VAR:-default}`` interpolation re-implemented below), and each service's command is
started as a local process with the Dockerfile's ``ENV``, the ``.env`` file
(``.env.example`` plus what an operator fills in) and the service's ``environment``.
What differs from a container is only what Docker itself maps: container paths (``/app``)
become temporary folders, service host names become ``127.0.0.1``, published ports
become free local ports.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "worker", "beat")
LONG_RUNNING = ("postgres", "redis", "web", "worker", "beat", "sandbox")


# --- compose semantics ---------------------------------------------------------------------

_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>(?:[^{}]|\{[^{}]*\})*))?\}")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation: ``${X}``, ``${X:-default}``, ``${X-default}``,
    ``${X:?error}``, nested defaults, and ``$$`` for a literal ``$``."""
    placeholder = "\0dollar\0"
    value = value.replace("$$", placeholder)
    for _ in range(10):  # innermost first, for nested defaults
        new = _VAR.sub(lambda m: _resolve(m, env), value)
        if new == value:
            break
        value = new
    return value.replace(placeholder, "$")


def _resolve(m: re.Match, env: dict[str, str]) -> str:
    name, op, arg = m.group("name"), m.group("op"), m.group("arg")
    current = env.get(name)
    unset_or_empty = current is None or current == ""
    if op == ":-":
        return arg if unset_or_empty else current
    if op == "-":
        return arg if current is None else current
    if op in (":?", "?"):
        if unset_or_empty if op == ":?" else current is None:
            raise ValueError(f"compose would refuse to start: {arg}")
        return current
    return current or ""


def read_dotenv(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def dockerfile_runtime_env() -> dict[str, str]:
    """``ENV`` of the Dockerfile's last stage (``KEY=value`` pairs, line continuations)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    last_stage = text.split("\nFROM ")[-1]
    env: dict[str, str] = {}
    for line in last_stage.splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def container_env(service: str, dotenv: dict[str, str]) -> dict[str, str]:
    spec = SERVICES[service]
    env = (
        dockerfile_runtime_env() if "build" in spec or "image" in spec and "drgreen" in spec["image"] else {}
    )
    if spec.get("env_file"):
        assert spec["env_file"] == ".env"
        env.update(dotenv)
    for key, value in (spec.get("environment") or {}).items():
        env[key] = interpolate(str(value), dotenv)
    return env


def command(service: str, dotenv: dict[str, str]) -> list[str]:
    return [interpolate(str(part), dotenv) for part in SERVICES[service]["command"]]


# --- the shape of the stack ---------------------------------------------------------------


def test_the_services():
    assert set(SERVICES) == {"postgres", "redis", "migrate", "web", "worker", "beat", "sandbox"}
    assert SERVICES["postgres"]["image"].startswith("postgres:")
    assert SERVICES["redis"]["image"].startswith("redis:")
    assert "gunicorn" in SERVICES["web"]["command"]
    assert SERVICES["worker"]["command"][:4] == ["celery", "-A", "drgreen_store", "worker"]


def test_exactly_one_beat():
    runs_beat = [
        name
        for name, spec in SERVICES.items()
        if "command" in spec
        and (
            "beat" in spec["command"][:4]
            or any(flag in spec["command"] for flag in ("-B", "--beat"))  # a worker embedding beat
        )
    ]
    assert runs_beat == ["beat"]
    # A fixed container name makes `docker compose up --scale beat=2` fail.
    assert SERVICES["beat"].get("container_name")
    assert SERVICES["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_every_long_running_service_has_a_health_check():
    for name in LONG_RUNNING:
        test = SERVICES[name].get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), name
    assert "healthcheck" not in SERVICES["migrate"]  # a one-shot job


def test_app_services_take_their_environment_from_dotenv():
    for name in APP_SERVICES:
        assert SERVICES[name]["env_file"] == ".env", name
        assert SERVICES[name]["environment"]["DJANGO_DEBUG"] == "false"
    # Without the secrets set, compose refuses to start rather than run on defaults.
    with pytest.raises(ValueError, match="DJANGO_SECRET_KEY"):
        container_env("web", {"POSTGRES_PASSWORD": "x", "DRGREEN_DATA_KEYS": "k"})
    with pytest.raises(ValueError, match="DRGREEN_DATA_KEYS"):
        container_env("web", {"POSTGRES_PASSWORD": "x", "DJANGO_SECRET_KEY": "s"})
    with pytest.raises(ValueError, match="POSTGRES_PASSWORD"):
        container_env("postgres", {})


SECRETS = ("DJANGO_SECRET_KEY", "DRGREEN_SECRET_KEY", "DRGREEN_API_KEY", "POSTGRES_PASSWORD", "DATABASE_URL")


def test_the_sandbox_gets_only_its_own_variables():
    spec = SERVICES["sandbox"]
    assert "env_file" not in spec and set(spec["environment"]) == {"SANDBOX_CONTROL_TOKEN", "SANDBOX_PORT"}
    operator = {**read_dotenv(ROOT / ".env.example"), **{name: "s3cret-" + name for name in SECRETS}}
    env = container_env("sandbox", operator)
    assert not set(SECRETS) & set(env), env
    assert not any("s3cret" in value for value in env.values())
    # No default token in compose: unset, the container gets none (and will not start).
    assert env["SANDBOX_CONTROL_TOKEN"] == ""
    assert "appvar:/app/var" not in spec["volumes"]  # not the app's files either


@pytest.mark.parametrize("token", ["", "sandbox-dev-token"])
def test_the_compose_sandbox_will_not_start_without_a_real_token(tmp_path, token):
    env = container_env("sandbox", {"SANDBOX_CONTROL_TOKEN": token})
    env = {**env, "PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    cmd = [part.replace("/app/", f"{tmp_path}/") for part in command("sandbox", {})]
    cmd[cmd.index("--port") + 1] = "0"
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "default control token" in result.stderr


def test_every_variable_the_compose_file_reads_is_documented_in_env_example():
    documented = set(read_dotenv(ROOT / ".env.example"))
    used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", (ROOT / "docker-compose.yml").read_text()))
    assert used - documented == set()


def test_sandbox_is_optional_and_nothing_depends_on_it():
    assert SERVICES["sandbox"]["profiles"] == ["sandbox"]
    for name, spec in SERVICES.items():
        if name != "sandbox":
            assert "profiles" not in spec, name
            assert "sandbox" not in (spec.get("depends_on") or {}), name


def test_app_services_start_after_migrate_and_healthy_backing_services():
    for name in ("web", "worker", "beat"):
        deps = SERVICES[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully", name
        assert deps["postgres"]["condition"] == deps["redis"]["condition"] == "service_healthy", name
    assert "check --deploy" in " ".join(SERVICES["migrate"]["command"])


def test_dockerfile_is_multi_stage_and_runs_as_a_non_root_user():
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)", text, re.M)
    assert len(stages) >= 2
    last_stage = text.split("\nFROM ")[-1]
    users = re.findall(r"^USER (\S+)", last_stage, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert "COPY --from=build" in last_stage
    assert re.search(r"^HEALTHCHECK ", last_stage, re.M)
    cmd = re.search(r"^CMD (\[.*\])$", last_stage, re.M).group(1)
    assert yaml.safe_load(cmd) == SERVICES["web"]["command"]


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".env", ".venv", "var/", ".git"):
        assert entry in ignored


# --- each service's command, run locally ---------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _local_redis_url() -> str:
    """The suite's own Redis database when it runs on Redis, else database 6 (ours)."""
    configured = os.environ.get("CELERY_BROKER_URL", "")
    return configured if configured.startswith("redis://") else "redis://127.0.0.1:6379/6"


class LocalStack:
    """Starts compose services as local processes and stops them all, whatever happens."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.app_dir = tmp / "app"
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}

    def map_value(self, value: str) -> str:
        # Container paths and service host names → their local counterparts.
        value = value.replace("/app/", f"{self.app_dir}/")
        return re.sub(
            r"@(postgres|redis):", "@127.0.0.1:", re.sub(r"//(redis|sandbox):", "//127.0.0.1:", value)
        )

    def env_for(self, service: str, dotenv: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
        env = {k: self.map_value(v) for k, v in container_env(service, dotenv).items()}
        env.update(extra)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        env.setdefault("HOME", str(self.tmp))
        return env

    def start(self, service: str, cmd: list[str], env: dict[str, str]) -> None:
        log = self.tmp / f"{service}.log"
        self.logs[service] = log
        self.procs[service] = subprocess.Popen(
            [self.map_value(c) for c in cmd],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_healthy(self, service: str, env: dict[str, str], timeout: float = 90.0) -> None:
        probe = SERVICES[service]["healthcheck"]["test"][1:]
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            proc = self.procs[service]
            if proc.poll() is not None:
                pytest.fail(f"{service} exited with {proc.returncode}:\n{self.tail(service)}")
            result = subprocess.run(probe, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
            if result.returncode == 0:
                return
            last = result.stderr
            time.sleep(1)
        pytest.fail(f"{service} never became healthy ({last.strip()}):\n{self.tail(service)}")

    def tail(self, service: str) -> str:
        return self.logs[service].read_text(errors="replace")[-3000:]

    def stop_all(self) -> dict[str, int | None]:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        codes = {}
        for name, proc in self.procs.items():
            try:
                codes[name] = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                codes[name] = None
        return codes


@pytest.fixture
def local_postgres_db():
    """A throw-away database on the local PostgreSQL (the compose ``postgres`` service)."""
    if not _reachable(5432):
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    import psycopg

    name = f"compose_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.worker
def test_each_service_command_runs_locally_with_the_container_environment(tmp_path, local_postgres_db):
    if not _reachable(6379):
        pytest.skip("no Redis on 127.0.0.1:6379")
    stack = LocalStack(tmp_path)
    (stack.app_dir / "var").mkdir(parents=True)
    web_port, sandbox_port = _free_port(), _free_port()
    # The operator's .env: the example with the secrets filled in. DATABASE_URL and
    # CELERY_BROKER_URL are set the way an operator points at managed services; the
    # Redis database number keeps this run's queue apart from anything else on the host.
    dotenv = {
        **read_dotenv(ROOT / ".env.example"),
        "POSTGRES_PASSWORD": "unused-locally",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DRGREEN_DATA_KEYS": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": "store.example.com",
        "DATABASE_URL": local_postgres_db,
        "CELERY_BROKER_URL": _local_redis_url(),
        "WORKER_CONCURRENCY": "2",
        "DRGREEN_API_URL": "http://sandbox:8001/api/v1",
        "SANDBOX_CONTROL_TOKEN": secrets.token_urlsafe(24),
    }
    try:
        # sandbox (profile): its own port is what Docker would publish.
        sb_env = stack.env_for("sandbox", dotenv, {"SANDBOX_PORT": str(sandbox_port)})
        sb_cmd = command("sandbox", dotenv)
        sb_cmd[sb_cmd.index("--port") + 1] = str(sandbox_port)
        sb_cmd[sb_cmd.index("--host") + 1] = "127.0.0.1"  # Docker's network, not the host's
        stack.start("sandbox", sb_cmd, sb_env)
        stack.wait_healthy("sandbox", sb_env)
        req = urllib.request.Request(
            f"http://127.0.0.1:{sandbox_port}/__sandbox__/keys",
            method="POST",
            headers={"X-Sandbox-Token": sb_env["SANDBOX_CONTROL_TOKEN"]},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            keys = json.loads(resp.read())
        dotenv.update(
            DRGREEN_API_KEY=keys["apiKey"],
            DRGREEN_SECRET_KEY=keys["secretKey"],
            DRGREEN_API_URL=f"http://sandbox:{sandbox_port}/api/v1",
        )

        # migrate: check --deploy, then migrate; must exit 0.
        migrate_env = stack.env_for("migrate", dotenv, {})
        migrate = subprocess.run(
            command("migrate", dotenv), cwd=ROOT, env=migrate_env, capture_output=True, text=True, timeout=300
        )
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        assert "System check identified no issues" in migrate.stdout

        # web, worker, beat: start, and pass the very health checks compose runs.
        web_env = stack.env_for("web", dotenv, {"PORT": str(web_port), "GUNICORN_HOST": "127.0.0.1"})
        for name, env in (
            ("web", web_env),
            ("worker", stack.env_for("worker", dotenv, {})),
            ("beat", stack.env_for("beat", dotenv, {})),
        ):
            stack.start(name, command(name, dotenv), env)
        stack.wait_healthy("web", web_env)
        stack.wait_healthy("worker", stack.env_for("worker", dotenv, {}))
        stack.wait_healthy("beat", stack.env_for("beat", dotenv, {}))

        # The web process serves from the migrated database, as a production process:
        # plain HTTP is redirected, the scraper's loopback address reads /metrics.
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/metrics", timeout=10) as resp:
            body = resp.read().decode()
        assert 'drgreen_breaker_state{name="drgreen",state="closed"} 1.0' in body
        conn = http.client.HTTPConnection("127.0.0.1", web_port, timeout=10)
        conn.request("GET", "/admin/login/", headers={"Host": "store.example.com"})
        redirect = conn.getresponse()
        assert (redirect.status, redirect.getheader("Location")) == (
            301,
            "https://store.example.com/admin/login/",
        )
        conn.close()
        # Logs are JSON lines.
        web_log = stack.tail("web").strip().splitlines()
        assert web_log and all(line.startswith("{") for line in web_log[-3:]), stack.tail("web")
    finally:
        codes = stack.stop_all()
    assert all(code is not None for code in codes.values()), codes
