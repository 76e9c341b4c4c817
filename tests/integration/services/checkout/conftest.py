from .sandbox_fixtures import eager_tasks, holder, seeded  # noqa: F401
