# fpindex.py - the index checks of format 1.2 (docs/FORMAT.md 4), for the
# tests that patch an artifact's index and must seal it again. Written from
# the spec apart from the C code (stub/format/reader.c, fp_index_seal), so a
# test that reseals with it also checks that the two agree.
import hashlib, struct


def _sum(b):
    return hashlib.sha256(b).digest()[:8]


def seal(idx, minor):
    """idx (index data) with every check written; unchanged before 1.2 or
    when its header does not hold. Entries whose strings lie outside the
    string table keep theirs."""
    idx = bytearray(idx)
    if minor < 3 or len(idx) < 32 or idx[:8] != b'FPINDEX\0':
        return bytes(idx)
    count, esz, strsz, metasz = struct.unpack_from('<IIII', idx, 8)
    st = 32 + count * esz
    if esz < 96 or st + strsz + metasz != len(idx):
        return bytes(idx)
    strtab = bytes(idx[st:st + strsz])
    idx[24:32] = hcheck = _sum(bytes(idx[:24]) + bytes(idx[st + strsz:]))
    for i in range(count):
        e = 32 + i * esz
        po, pl, mo, ml = struct.unpack_from('<IIII', idx, e + 32)
        if po + pl <= strsz and mo + ml <= strsz:
            ent = bytearray(idx[e:e + esz])
            ent[56:64] = bytes(8)
            idx[e + 56:e + 64] = _sum(hcheck + struct.pack('<I', i) +
                                      bytes(ent) + strtab[po:po + pl] +
                                      strtab[mo:mo + ml])
    return bytes(idx)


def minor(d):
    """The version minor in artifact d's trailer."""
    return struct.unpack_from('<H', d, len(d) - 96 + 18)[0]
