# fpindex.py - the index checks of format 1.2 (docs/FORMAT.md 4), for the
# tests that patch an artifact's index and must seal it again, and the zstd
# frames they take apart and put back. Written from the spec apart from the
# C code (stub/format/reader.c, fp_index_seal), so a test that reseals with
# it also checks that the two agree.
import hashlib, struct, subprocess


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


def _zstd(args, b):
    return subprocess.run(['zstd', '-q'] + args, input=b, check=True,
                          capture_output=True).stdout


def compress(raw):
    """raw as one zstd frame, as the writer makes them: with its content
    size and checksum."""
    return _zstd(['-c', '--check', '--stream-size=%d' % len(raw)], raw)


def decompress(frame):
    """The bytes of a zstd frame."""
    return _zstd(['-dc'], frame)


def frame_len(b, o):
    """The length of the frame at b[o:], a skippable or a zstd frame, from
    its headers (docs/FORMAT.md 4.2; RFC 8878 3.1)."""
    magic = struct.unpack_from('<I', b, o)[0]
    if magic & 0xFFFFFFF0 == 0x184D2A50:
        return 8 + struct.unpack_from('<I', b, o + 4)[0]
    fhd = b[o + 4]
    p = o + 5 + (0 if fhd & 0x20 else 1) + [0, 1, 2, 4][fhd & 3]
    p += [1 if fhd & 0x20 else 0, 2, 4, 8][fhd >> 6]
    while True:
        h = int.from_bytes(b[p:p + 3], 'little')
        p += 3 + (1 if (h >> 1) & 3 == 1 else h >> 3)
        if h & 1:
            return p - o + (4 if fhd & 4 else 0)
