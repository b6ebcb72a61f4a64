from __future__ import annotations

import subprocess
import sys


def test_audit_module_exposes_the_entry_points():
    from ablatio import audit

    names = ("load_norms", "load_embeddings", "norm_decoding", "norm_audit", "token_identity_audit")
    for name in names:
        assert callable(getattr(audit, name))


def test_importing_audit_does_not_import_torch():
    code = "import ablatio, ablatio.audit, sys; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
