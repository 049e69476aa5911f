"""Decoder for Unix ``compress`` (``.Z``) files, the format of the UCI ISOLET downloads.

The stream is LZW with variable-width codes (9 bits up to the header's maximum), packed
least-significant bit first. As in the reference ``compress``, codes are read in groups of
eight: when the width grows, or after a CLEAR code (256, block mode), the rest of the current
group is skipped.
"""

from __future__ import annotations

MAGIC = b"\x1f\x9d"
CLEAR = 256


def _group_end(pos: int, start: int, n_bits: int) -> int:
    """The first bit at or after ``pos`` that ends a group of eight ``n_bits`` codes."""
    group = 8 * n_bits
    return start + -(-(pos - start) // group) * group


def decompress(data: bytes) -> bytes:
    """Decompress a whole ``.Z`` stream; raise ValueError if it is not one or is damaged."""
    if len(data) < 3 or data[:2] != MAGIC:
        raise ValueError("not a compress (.Z) stream: bad magic number")
    max_bits = data[2] & 0x1F
    block_mode = bool(data[2] & 0x80)
    if not 9 <= max_bits <= 16:
        raise ValueError(f"unsupported maximum code width {max_bits} bits")
    table_limit = 1 << max_bits
    first_free = CLEAR + 1 if block_mode else CLEAR
    table = [bytes([i]) for i in range(256)] + [b""] * (first_free - 256)
    out: list[bytes] = []
    prev = b""
    n_bits, start, pos, end = 9, 24, 24, 8 * len(data)
    while pos + n_bits <= end:
        if len(table) > (1 << n_bits) - 1 and n_bits < max_bits:
            pos = start = _group_end(pos, start, n_bits)
            n_bits += 1
            continue
        code = (int.from_bytes(data[pos >> 3 : (pos >> 3) + 3], "little") >> (pos & 7)) & (
            (1 << n_bits) - 1
        )
        pos += n_bits
        if block_mode and code == CLEAR:
            pos = start = _group_end(pos, start, n_bits)
            n_bits, prev = 9, b""
            del table[first_free:]
            continue
        if code < len(table):
            entry = table[code]
        elif code == len(table) and prev:
            entry = prev + prev[:1]
        else:
            raise ValueError(f"corrupt stream: code {code} at bit {pos - n_bits} is not defined")
        if prev and len(table) < table_limit:
            table.append(prev + entry[:1])
        out.append(entry)
        prev = entry
    return b"".join(out)
