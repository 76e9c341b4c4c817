"""Privacy by design: retention of medical and registration data, data sealed at rest,
export (right of access), erasure (right to erasure), and the staff access log.

Import the submodules (``retention``, ``keys``, ``export``, ``erasure``, ``access_log``):
onboarding imports ``retention``, which must not pull in the rest.
"""
