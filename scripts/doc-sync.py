#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# `make lint`'s doc-sync check: the facts that drift, equal in the uapi
# header, the code, Documentation/vmapdemo.4, Documentation/*.rst and
# dkms.conf. Prints one finding per line ("FILE: what differs") and exits
# 1 if there is any, 2 if it could not run.
#
#   version       VMAPDEMO_VERSION (module/vmapdemo.h) = dkms.conf's
#                 PACKAGE_VERSION = the man page's .TH = every vmapdemo
#                 version named in Documentation/install.rst
#   ioctls        every VMAPDEMO_*IOC_* command of the uapi header is in
#                 the man page and in vmapdemo.rst; the magic named in the
#                 docs (0xB9) is the header's; a command number the rst
#                 names next to a command is the header's
#   struct sizes  the man page's "struct NAME { /* N bytes" = sizeof, and
#                 "first version N" = the older size the code accepts
#   parameters    every module_param() is in the man page with its
#                 permission (read-only/writable) and default, equal to
#                 the code's initializer and to MODULE_PARM_DESC's
#                 "default ..."; an rst "``NAME`` (default X" agrees too
#   ioctl errors  each command's own errnos (beyond the conventions'
#                 common EINVAL E2BIG EFAULT ENOTTY): every -EXXX of its
#                 handler and the module functions it calls = the uapi
#                 comment of the command = its vmapdemo.4 entry = its row
#                 of vmapdemo.rst's "ioctl errors" table; the fuzzer's
#                 oracle (vmapdemo_fuzz.c set_ioctl, set_store_ioctl)
#                 accepts exactly those
#
# usage: scripts/doc-sync.py [TOP]     (CC: the compiler, default gcc)
import errno
import glob
import os
import re
import subprocess
import sys
import tempfile

top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
os.chdir(top)
findings = []


def find(msg):
    findings.append(msg)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


uapi = read("uapi/linux/vmapdemo.h")
man = read("Documentation/vmapdemo.4")
rst = read("Documentation/vmapdemo.rst")
code = {p: read(p) for p in glob.glob("module/*.c") + glob.glob("module/*.h")}

# --- version ------------------------------------------------------------
m = re.search(r'#define\s+VMAPDEMO_VERSION\s+"([^"]+)"', code["module/vmapdemo.h"])
if not m:
    print("doc-sync: no VMAPDEMO_VERSION in module/vmapdemo.h", file=sys.stderr)
    sys.exit(2)
version = m.group(1)
m = re.search(r'PACKAGE_VERSION="?([^"\n]+)"?', read("dkms.conf"))
if not m or m.group(1) != version:
    find("dkms.conf: PACKAGE_VERSION %s, the module says %s" % (m and m.group(1), version))
m = re.search(r'^\.TH .*"vmapdemo ([^"]+)"', man, re.M)
if not m or m.group(1) != version:
    find("Documentation/vmapdemo.4: .TH names version %s, the module %s" % (m and m.group(1), version))
for path in glob.glob("Documentation/*.rst") + ["README.md"]:
    for v in re.findall(r'vmapdemo[/-](\d+\.\d+\.\d+)|vmapdemo:? version (\d+\.\d+\.\d+)'
                        r'|^\s*version:\s+(\d+\.\d+\.\d+)', read(path), re.M):
        v = v[0] or v[1] or v[2]
        if v != version:
            find("%s: names version %s, the module is %s" % (path, v, version))

# --- ioctls -------------------------------------------------------------
magic = re.search(r'#define\s+VMAPDEMO_IOC_MAGIC\s+(0x[0-9A-Fa-f]+)', uapi).group(1)
cmds = re.findall(r'#define\s+(VMAPDEMO_\w*IOC_\w+)\s+_IO\(VMAPDEMO_IOC_MAGIC,\s*(0x[0-9A-Fa-f]+)\)', uapi)
if not cmds:
    find("uapi/linux/vmapdemo.h: no ioctl command found (has the format changed?)")
for name, nr in cmds:
    if name not in man:
        find("Documentation/vmapdemo.4: does not name %s" % name)
    if name not in rst:
        find("Documentation/vmapdemo.rst: does not name %s" % name)
for path, text in (("Documentation/vmapdemo.4", man), ("Documentation/vmapdemo.rst", rst)):
    for mg in re.findall(r'magic[^.\n]{0,40}?(0x[0-9A-Fa-f]{2})\b', text, re.I):
        if int(mg, 16) != int(magic, 16):
            find("%s: names the ioctl magic %s, the header %s" % (path, mg, magic))
# "(... _IO numbers 0x10 and 0x11)" and "NAME (0x10)" style mentions
nrs = {name: int(nr, 16) for name, nr in cmds}
for name, want in nrs.items():
    for got in re.findall(re.escape(name) + r'``?\s*\(\s*(0x[0-9A-Fa-f]+)\s*\)', rst):
        if int(got, 16) != want:
            find("Documentation/vmapdemo.rst: %s is %s there, %#x in the header" % (name, got, want))

# --- struct sizes ---------------------------------------------------------
structs = re.findall(r'^struct (vmapdemo_\w+) \{', uapi, re.M)
fields = {"vmapdemo_store_info": ("backing_pages", "pages_reclaimed")}
prog = "#include <stdio.h>\n#include <stddef.h>\n#include <linux/vmapdemo.h>\nint main(void)\n{\n"
for s in structs:
    prog += '\tprintf("%s %%zu\\n", sizeof(struct %s));\n' % (s, s)
for s, fl in fields.items():
    for f in fl:
        prog += '\tprintf("%s.%s %%zu\\n", offsetof(struct %s, %s));\n' % (s, f, s, f)
prog += "\treturn 0;\n}\n"
with tempfile.TemporaryDirectory() as d:
    src, exe = os.path.join(d, "sizes.c"), os.path.join(d, "sizes")
    with open(src, "w") as f:
        f.write(prog)
    r = subprocess.run([os.environ.get("CC", "gcc"), "-Iuapi", "-o", exe, src],
                       capture_output=True, text=True)
    if r.returncode:
        print("doc-sync: cannot compile the size probe:\n" + r.stderr, file=sys.stderr)
        sys.exit(2)
    sizes = dict(l.split() for l in subprocess.run([exe], capture_output=True,
                                                   text=True).stdout.splitlines())
for s in structs:
    m = re.search(r'struct %s \{\s*/\* (\d+) bytes(?:; first version (\d+))?' % s, man)
    if not m:
        find("Documentation/vmapdemo.4: no \"struct %s { /* N bytes */\"" % s)
        continue
    if int(m.group(1)) != int(sizes[s]):
        find("Documentation/vmapdemo.4: struct %s is %s bytes there, %s in the header"
             % (s, m.group(1), sizes[s]))
    if m.group(2) and s in fields and int(m.group(2)) != int(sizes[s + "." + fields[s][0]]):
        find("Documentation/vmapdemo.4: struct %s's first version is %s bytes there, %s in the header"
             % (s, m.group(2), sizes[s + "." + fields[s][0]]))


# --- module parameters ----------------------------------------------------
def human(n):
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n and n % (1 << shift) == 0:
            return "%d %s" % (n >> shift, unit)
    return str(n)


def number(expr):
    expr = re.sub(r'(?<=\d)[UL]+\b', "", expr.strip())
    if not re.fullmatch(r'[\d\s<>()x+*a-fA-F]+', expr):
        return None
    return eval(expr)  # digits and shifts only, checked above


nparams = 0
for path, text in code.items():
    for name, perm in re.findall(r'module_param(?:_cb)?\((\w+),\s*[^,]+,\s*(?:&\w+,\s*)?(0\d+)\)', text):
        nparams += 1
        m = re.search(r'^static [\w ]+?\b%s(?:\s*=\s*([^;]+))?;' % name, text, re.M)
        val = number(m.group(1)) if m and m.group(1) else 0
        desc = re.search(r'MODULE_PARM_DESC\(%s,\s*((?:"[^"]*"\s*)+)\)' % name, text)
        desc = "".join(re.findall(r'"([^"]*)"', desc.group(1))) if desc else ""
        dm = re.search(r'default ([\d]+(?: [KMGT]iB)?)', desc)
        if val is None:
            find("%s: %s: cannot read its initializer" % (path, name))
            continue
        if not dm or dm.group(1) not in (str(val), human(val)):
            find("%s: MODULE_PARM_DESC(%s) says default %s, the code %s"
                 % (path, name, dm and dm.group(1), human(val)))
        mm = re.search(r'\.BR \\%%%s " \((read-only|writable), default ([^)"]+)\)"' % name, man)
        if not mm:
            find("Documentation/vmapdemo.4: no entry for the parameter %s" % name)
        else:
            want = "read-only" if perm == "0444" else "writable"
            if mm.group(1) != want:
                find("Documentation/vmapdemo.4: %s is %s there, %s (%s) in the code"
                     % (name, mm.group(1), want, perm))
            if mm.group(2) not in (str(val), human(val)):
                find("Documentation/vmapdemo.4: %s defaults to %s there, %s in the code"
                     % (name, mm.group(2), human(val)))
        for path2 in glob.glob("Documentation/*.rst"):
            for d in re.findall(r'``%s``\s*\(default ([\d]+(?: [KMGT]iB)?)' % name, read(path2)):
                if d not in (str(val), human(val)):
                    find("%s: %s defaults to %s there, %s in the code" % (path2, name, d, human(val)))

if nparams == 0:
    find("module/: no module_param() found (has the format changed?)")

# --- ioctl errors -----------------------------------------------------------
# Each command's own errnos (beyond the common ones of the ioctl
# conventions) are the same in the code, the uapi header's comment of the
# command, its vmapdemo.4 entry, vmapdemo.rst's "ioctl errors" table, and
# the fuzzer's errno oracle (vmapdemo_fuzz.c: set_ioctl is the common set,
# set_store_ioctl what the store commands add).
ERRNOS = set(errno.errorcode.values())


def errnos_in(text, pattern=r'\b(E[A-Z0-9]{2,})\b'):
    return {e for e in re.findall(pattern, text) if e in ERRNOS}


conv = re.search(r'DOC: ioctl conventions(.*?)\*/', uapi, re.S)
common = errnos_in(conv.group(1), r'``(E[A-Z0-9]+)``') if conv else set()
if common != {"EINVAL", "E2BIG", "EFAULT", "ENOTTY"}:
    find("uapi/linux/vmapdemo.h: the ioctl conventions name %s as the common errnos "
         "(doc-sync expects EINVAL E2BIG EFAULT ENOTTY)" % " ".join(sorted(common)))
man_ioctls = re.search(r'^\.SH IOCTLS\n(.*?)^\.SH ', man, re.S | re.M)
man_ioctls = man_ioctls.group(1) if man_ioctls else ""
pre = errnos_in(man_ioctls.split("\n.TP\n")[0])
if pre != common:
    find("Documentation/vmapdemo.4: the IOCTLS preamble names %s, the header's conventions %s"
         % (" ".join(sorted(pre)), " ".join(sorted(common))))

# The code: from each command's case in an ioctl switch, every -EXXX of its
# handler and of the module's functions it calls, the copy-in/out helpers
# (the common errnos) left out.
src = "\n".join(code[p] for p in sorted(code) if p.endswith(".c"))
funcs = {}
for m in re.finditer(r'^(?:static\s+)?(?:inline\s+)?[A-Za-z_][\w\s*]*?\b(\w+)\(([^;{]*?)\)\s*\n\{\n(.*?)\n\}\n',
                     src, re.S | re.M):
    funcs.setdefault(m.group(1), m.group(3))


def code_errnos(fn, seen):
    if fn in seen or fn not in funcs or fn in ("vd_ioctl_arg_in", "vd_ioctl_arg_out"):
        return set()
    seen.add(fn)
    out = errnos_in(funcs[fn], r'-(E[A-Z0-9]+)\b')
    for callee in set(re.findall(r'\b(\w+)\s*\(', funcs[fn])):
        out |= code_errnos(callee, seen)
    return out


handlers = {}
for body in funcs.values():
    for cmd, fn in re.findall(r'case\s+(VMAPDEMO_\w*IOC_\w+):\s*return\s+(\w+)\(', body):
        handlers[cmd] = fn
rst_tab = re.search(r'^ioctl errors\n-+\n(.*?)\n\n(?=\S)(?!=)', rst, re.S | re.M)
rst_rows = {}
if not rst_tab:
    find("Documentation/vmapdemo.rst: no \"ioctl errors\" section with its table")
else:
    for cmd, rest in re.findall(r'^``(VMAPDEMO_\w+)``\s+(.*)$', rst_tab.group(1), re.M):
        rst_rows[cmd] = errnos_in(rest, r'``(E[A-Z0-9]+)``')
own_union = set()
for name, _ in cmds:
    if name not in handlers:
        find("module/: no \"case %s: return HANDLER(\" in an ioctl switch" % name)
        continue
    want = code_errnos(handlers[name], set()) - common
    own_union |= want if "STORE" in name else set()
    blk = re.search(r'/\*\*\n \* %s - (.*?)\*/\n#define' % name, uapi, re.S)
    have = {
        "uapi/linux/vmapdemo.h": errnos_in(blk.group(1), r'``(E[A-Z0-9]+)``') - common if blk else None,
        "Documentation/vmapdemo.4": None,
        "Documentation/vmapdemo.rst": rst_rows.get(name, None),
    }
    m = re.search(r'^\.TP\n\.B \\%%%s\n(.*?)(?=^\.TP\n\.B \\%%VMAPDEMO_\w*IOC_|\Z)' % name,
                  man_ioctls, re.S | re.M)
    if m:
        have["Documentation/vmapdemo.4"] = errnos_in(m.group(1)) - common
    for path, got in have.items():
        if got is None:
            find("%s: no errors found for %s" % (path, name))
            continue
        for e in sorted(want - got):
            find("%s: %s can fail with %s (%s), not documented there"
                 % (path, name, e, handlers[name]))
        for e in sorted(got - want):
            find("%s: %s documents %s, which the code (%s) never returns"
                 % (path, name, e, handlers[name]))

fuzz = read("selftests/vmapdemo_fuzz.c")
for var, want in (("set_ioctl", common), ("set_store_ioctl", own_union)):
    m = re.search(r'static const int %s\[\] = \{(.*?)\};' % var, fuzz, re.S)
    got = errnos_in(m.group(1)) if m else None
    if got is None:
        find("selftests/vmapdemo_fuzz.c: no %s[] errno oracle" % var)
    elif got != want:
        find("selftests/vmapdemo_fuzz.c: %s[] accepts %s, the code and the documents say %s"
             % (var, " ".join(sorted(got)), " ".join(sorted(want))))
for f in findings:
    print(f)
sys.exit(1 if findings else 0)
