#!/usr/bin/env python3
"""jit-profile.py CALLGRIND_OUT MAP [N]: where a run's generated code spends.

Attributes callgrind's per-address instruction counts of the JIT's code
pages (valgrind --tool=callgrind --dump-instr=yes) to BPF programs and
instructions, using the map that SCHEDSIM_JIT_MAP=MAP made the JIT write
(jit/addrmap.go). Prints the total, the cost per program, per kind of
instruction, and the N costliest instructions. A block's budget check and
count fall on its first instruction. docs/performance.md, "Generated code
for EEVDF, session 6 (jitcode)", has the command.
"""
import bisect
import collections
import sys


def self_costs(path):
    """Per-address self cost (the lines after calls= are inclusive: skipped)."""
    cost = collections.Counter()
    addr, skip = 0, False
    with open(path) as f:
        for line in f:
            c = line[0]
            if c == 'c' and line.startswith('calls='):
                skip = True
                continue
            if c in '0123456789+-*':
                parts = line.split()
                a = parts[0]
                if a.startswith('0x'):
                    addr = int(a, 16)
                elif a[0] == '+':
                    addr += int(a[1:])
                elif a[0] == '-':
                    addr -= int(a[1:])
                if skip:
                    skip = False
                    continue
                if len(parts) >= 3:
                    cost[addr] += int(parts[2])
                continue
            skip = False
    return cost


def read_map(path):
    progs, cur = [], None
    with open(path) as f:
        for line in f:
            t = line.rstrip('\n').split(' ', 1)
            if t[0] == 'P':
                name, base, size = t[1].split()
                cur = dict(name=name, base=int(base, 16), size=int(size), marks=[], dis={})
                progs.append(cur)
            elif t[0] == 'M':
                off, pc, kind = t[1].split()
                cur['marks'].append((int(off), int(pc), kind))
            elif t[0] == 'I':
                pc, d = t[1].split(' ', 1)
                cur['dis'][int(pc)] = d
    return progs


KINDS = {'p': 'prologue', 'X': 'common exit', 'x': 'exit stubs', 'e': 'entry stubs', 'c': 'out of line', 't': 'table'}


def kind(d, k):
    if k != 'i':
        return KINDS[k]
    if d.startswith('call'):
        return d.split('#')[0]
    if d.startswith('may_goto'):
        return 'may_goto'
    if d == 'exit':
        return 'exit'
    if '= *(' in d:
        return 'load' + (' r10' if 'r10' in d.split('=')[1] else '')
    if d.startswith('*('):
        return 'store' + (' r10' if 'r10' in d.split('=')[0] else '')
    if 'lock' in d:
        return 'atomic'
    if '/=' in d or '%=' in d:
        return 'div/mod'
    if 'goto' in d:
        return 'jump'
    return 'alu'


def main():
    cost = self_costs(sys.argv[1])
    progs = read_map(sys.argv[2])
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    ranges = sorted((p['base'], i) for i, p in enumerate(progs))
    bases = [r[0] for r in ranges]
    perprog, perpc, perkind = collections.Counter(), collections.Counter(), collections.Counter()
    total = 0
    for a, v in cost.items():
        k = bisect.bisect_right(bases, a) - 1
        if k < 0:
            continue
        p = progs[ranges[k][1]]
        off = a - p['base']
        if off >= p['size'] + 4 * (len(p['dis']) + 2) + 8:
            continue
        offs = [m[0] for m in p['marks']]
        _, pc, kd = p['marks'][bisect.bisect_right(offs, off) - 1]
        total += v
        perprog[p['name']] += v
        perpc[(p['name'], pc, kd)] += v
    dis = {p['name']: p['dis'] for p in progs}
    for (n, pc, kd), v in perpc.items():
        perkind[kind(dis[n].get(pc, ''), kd)] += v
    print('generated code: %d instructions' % total)
    for n, v in perprog.most_common():
        print('%-24s %12d' % (n, v))
    print()
    for kd, v in perkind.most_common():
        print('%-40s %12d %5.1f%%' % (kd, v, 100 * v / max(total, 1)))
    print()
    for (n, pc, kd), v in perpc.most_common(top):
        print('%10d %-20s %5d %s %s' % (v, n, pc, kd, dis[n].get(pc, '') if kd == 'i' else ''))


if __name__ == '__main__':
    main()
