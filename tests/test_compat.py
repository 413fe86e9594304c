"""`python -m ember.compat SCRIPT` runs PyTorch programs on ember; `ember.compat.install()` for notebooks."""
import os
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import needs_torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent("""
    import sys
    import torch

    torch.manual_seed(0)
    x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    y = (x * x + 2 * x).sum()
    y.backward()
    print(x.grad)
    print(torch.arange(6).reshape(2, 3) * 2)
    print(torch.zeros(2, 3, dtype=torch.float64).shape, torch.ones(3).dtype)
    print(torch.tensor([1, 2]) / torch.tensor([4, 4]))
    print(torch.linspace(0, 1, 5), torch.eye(2))
    print(torch.rand(3).shape, torch.randn(2, 2).dtype)
    print(y, y.item(), float(y))
    print(sys.argv[1:], __name__)
""")


def run(args, cwd, env_extra=None):
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@needs_torch
def test_script_runs_like_under_torch(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(SCRIPT)
    on_ember = run(["-m", "ember.compat", str(script), "--lr", "0.1"], cwd=tmp_path)
    assert on_ember.returncode == 0, on_ember.stderr
    on_torch = run([str(script), "--lr", "0.1"], cwd=tmp_path)
    assert on_torch.returncode == 0, on_torch.stderr
    assert on_ember.stdout == on_torch.stdout.replace("torch.", "ember.")
    assert "['--lr', '0.1'] __main__" in on_ember.stdout


def test_modules_are_aliases(tmp_path):
    (tmp_path / "helper_mod.py").write_text("import torch.nn\nVALUE = 42\n")
    (tmp_path / "prog.py").write_text(textwrap.dedent("""
        import sys
        import torch
        import torch.autograd
        from torch import autograd as ag
        import torch.autograd.grad_mode as gm
        import torchvision
        import helper_mod                     # the script's own folder is importable
        import ember, ember.autograd.grad_mode, ember.vision
        assert torch is ember and torch.autograd is ember.autograd and ag is ember.autograd
        assert gm is ember.autograd.grad_mode and sys.modules["torch.autograd"] is ember.autograd
        assert torchvision is ember.vision and helper_mod.VALUE == 42
        assert sys.argv == [sys.argv[0], "a", "-b"] and sys.argv[0].endswith("prog.py")
        try:
            import torch.no_such_module
        except ModuleNotFoundError as exc:
            assert exc.name == "torch.no_such_module"
        else:
            raise AssertionError("import should fail")
        print("ok")
    """))
    r = run(["-m", "ember.compat", "prog.py", "a", "-b"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "ok\n"


def test_module_mode_and_exit_status(tmp_path):
    (tmp_path / "pkg_main.py").write_text("import sys, torch\nprint(torch.__name__, sys.argv[1:])\nsys.exit(3)\n")
    r = run(["-m", "ember.compat", "-m", "pkg_main", "x"], cwd=tmp_path)
    assert r.returncode == 3, r.stderr
    assert r.stdout == "ember ['x']\n"
    (tmp_path / "bad.py").write_text("import torch\nraise ValueError('boom')\n")
    r = run(["-m", "ember.compat", "bad.py"], cwd=tmp_path)
    assert r.returncode == 1 and "ValueError: boom" in r.stderr
    r = run(["-m", "ember.compat"], cwd=tmp_path)
    assert r.returncode == 2 and "python -m ember.compat" in r.stdout


@needs_torch
def test_relative_script_path_reads_like_python(tmp_path):
    """`python prog.py` makes __file__ (so warnings and tracebacks) absolute but keeps sys.argv[0] as typed."""
    (tmp_path / "prog.py").write_text("import sys, warnings, torch\nprint(__file__, sys.argv[0])\n"
                                      "warnings.warn('w')\nraise ValueError('boom')\n")
    on_ember = run(["-m", "ember.compat", "prog.py"], cwd=tmp_path)
    on_torch = run(["prog.py"], cwd=tmp_path)
    assert on_ember.stdout == on_torch.stdout == f"{tmp_path / 'prog.py'} prog.py\n"
    assert on_torch.stderr.splitlines()[0] in on_ember.stderr      # "<abs path>:3: UserWarning: w"
    assert f'File "{tmp_path / "prog.py"}", line 4' in on_ember.stderr


def test_install_in_process(tmp_path):
    code = ("import ember.compat; ember.compat.install(); ember.compat.install(); import torch, torch.autograd, ember; "
            "assert torch is ember and torch.autograd is ember.autograd; "
            "assert sum(type(f).__name__ == 'AliasFinder' for f in __import__('sys').meta_path) == 1; print('ok')")
    r = run(["-c", code], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "ok\n"


@needs_torch
@pytest.mark.slow
def test_install_after_real_torch_refuses(tmp_path):
    r = run(["-c", "import torch, ember.compat; ember.compat.install()"], cwd=tmp_path)
    assert r.returncode == 1 and "was imported before ember.compat.install()" in r.stderr


TRAINING = textwrap.dedent("""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    x = torch.randn(96, 1, 12, 12)
    y = torch.randint(0, 4, (96,))
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 6, 3, padding=1)
            self.bn = nn.BatchNorm2d(6)
            self.drop = nn.Dropout(0.25)
            self.fc = nn.Linear(6 * 6 * 6, 4)

        def forward(self, t):
            t = F.max_pool2d(F.relu(self.bn(self.conv(t))), 2)
            return self.fc(self.drop(t.flatten(1)))


    net = Net()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(3):
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(net(xb), yb)
            loss.backward()
            opt.step()
        print(loss.item(), net.conv.weight.flatten()[0].item(), net.fc.bias.sum().item())
    net.eval()
    print(net(x[:8]).argmax(1).tolist())
""")


@needs_torch
def test_seeded_training_gives_torchs_numbers(tmp_path):
    """The same seeded program (data from randn/randint, init, shuffled batches, dropout, momentum SGD) under torch
    and under ember draws the same random numbers, so it ends with the same losses and weights (to float32 noise)."""
    script = tmp_path / "train.py"
    script.write_text(TRAINING)
    ours = run(["-m", "ember.compat", str(script)], tmp_path)
    theirs = run([str(script)], tmp_path)
    assert ours.returncode == 0 and theirs.returncode == 0, ours.stderr + theirs.stderr
    e_lines, t_lines = ours.stdout.splitlines(), theirs.stdout.splitlines()
    assert len(e_lines) == len(t_lines) == 4
    for e, t in zip(e_lines[:3], t_lines[:3]):
        assert [float(v) for v in e.split()] == pytest.approx([float(v) for v in t.split()], rel=1e-4, abs=1e-5)
    assert e_lines[3] == t_lines[3]
