"""Only ``config.py`` is left here: the polling settings (part of issue 15 folds them into
``integration/conf.py``). The mirror is ``services/mirror/``, the polling ``services/polling/``."""
