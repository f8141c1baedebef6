// A bounded, iterative walk of a DICOM byte stream before DCMTK's recursive parser sees it: how deep its
// sequences nest (a few kilobytes of nested sequences would overflow the stack), whether a value declares
// more bytes than the stream holds, and, for the deflated transfer syntax, how large the dataset inflates
// (a 600 kB file inflating to 600 MB made DCMTK allocate all of it), and whether a dataset declared explicit VR
// was written implicit.
#include "BridgeInternal.hpp"
#include <cstring>
#include <vector>
#include <zlib.h>

namespace dcb {

namespace {
struct Reader {
    const uint8_t *data;
    size_t size;
    bool big = false;
    uint16_t u16(size_t at) const {
        return big ? static_cast<uint16_t>(data[at] << 8 | data[at + 1]) : static_cast<uint16_t>(data[at] | data[at + 1] << 8);
    }
    uint32_t u32(size_t at) const {
        uint32_t a = u16(at), b = u16(at + 2);
        return big ? (a << 16 | b) : (b << 16 | a);
    }
};

/// Whether the two bytes after a tag read as a VR (two upper-case letters), as an explicit-VR element's do.
bool looksLikeVR(const uint8_t *vr) { return vr[0] >= 'A' && vr[0] <= 'Z' && vr[1] >= 'A' && vr[1] <= 'Z'; }

bool longLengthVR(const uint8_t *vr) {
    static const char *vrs[] = {"OB", "OW", "OF", "OD", "OL", "OV", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
    for (const char *v : vrs) if (vr[0] == v[0] && vr[1] == v[1]) return true;
    return false;
}

/// Walks the dataset that starts at `pos`; fills `depth` and `overrun` of `check`.
void walkDataset(const Reader &r, size_t pos, bool explicitVR, long limit, StructureCheck &check) {
    const uint8_t *data = r.data;
    const size_t size = r.size;
    // A UN value of undefined length in an explicit-VR dataset is a sequence whose contents are encoded
    // implicit VR little endian (PS3.5 6.2.2, CP-246: a sequence the writer's dictionary did not know).
    const Reader implicitLE{data, size, false};
    // Open containers: where each ends (0: undefined length, closed by a delimiter), whether it is a
    // sequence (else an item), and whether what it holds is explicit VR. The depth is the number of open sequences.
    struct Open { size_t end; bool sequence; bool explicitInside; };
    std::vector<Open> open;
    long sequences = 0;
    long &deepest = check.depth;
    auto pop = [&] { if (open.back().sequence) --sequences; open.pop_back(); };
    while (pos + 8 <= size) {
        while (!open.empty() && open.back().end != 0 && pos >= open.back().end) pop();
        const bool explicitHere = open.empty() ? explicitVR : open.back().explicitInside;
        const Reader &rr = explicitHere == explicitVR ? r : implicitLE;  // only inside a UN sequence do they differ
        uint16_t group = rr.u16(pos), element = rr.u16(pos + 2);
        if (group == 0xFFFE) {
            uint32_t length = rr.u32(pos + 4);
            pos += 8;
            if (element == 0xE000) open.push_back({length == 0xFFFFFFFFu ? 0 : pos + length, false, explicitHere});
            else if (!open.empty()) pop();  // item or sequence delimiter
            continue;
        }
        if (group == 0x7FE0 && element == 0x0010 && open.empty()) {
            // Pixel data ends the header; its value, or each fragment of it, must fit in what is left.
            bool isLong = !explicitVR || longLengthVR(data + pos + 4);
            size_t header = explicitVR ? (isLong ? 12 : 8) : 8;
            if (pos + header > size) return;
            uint32_t length = explicitVR && !isLong ? r.u16(pos + 6) : r.u32(pos + (explicitVR ? 8 : 4));
            pos += header;
            if (length != 0xFFFFFFFFu) { check.overrun = pos + length > size; return; }
            while (pos + 8 <= size && r.u16(pos) == 0xFFFE && r.u16(pos + 2) == 0xE000) {
                uint32_t fragment = r.u32(pos + 4);
                if (pos + 8 + size_t(fragment) > size) { check.overrun = true; return; }
                pos += 8 + size_t(fragment);
            }
            return;
        }
        bool isSequence;
        bool explicitInside = explicitHere;
        uint32_t length;
        size_t header;
        if (explicitHere) {
            const uint8_t *vr = data + pos + 4;
            bool isLong = longLengthVR(vr);
            header = isLong ? 12 : 8;
            if (pos + header > size) return;
            length = isLong ? rr.u32(pos + 8) : rr.u16(pos + 6);
            isSequence = (vr[0] == 'S' && vr[1] == 'Q') || length == 0xFFFFFFFFu;
            if (vr[0] == 'U' && vr[1] == 'N' && length == 0xFFFFFFFFu) explicitInside = false;
        } else {
            header = 8;
            length = rr.u32(pos + 4);
            isSequence = length == 0xFFFFFFFFu || DcmTag(DcmTagKey(group, element)).getEVR() == EVR_SQ;
        }
        pos += header;
        if (isSequence) {
            open.push_back({length == 0xFFFFFFFFu ? 0 : pos + length, true, explicitInside});
            if (++sequences > deepest) deepest = sequences;
            if (deepest > limit) return;
        } else {
            if (length == 0xFFFFFFFFu) return;
            if (pos + length > size) { check.overrun = true; return; }
            pos += length;
        }
    }
}

/// Inflates a raw deflate stream (PS3.5 A.5) into `out`, stopping past `cap` bytes. False when it inflates
/// beyond the cap; a corrupt stream stops early (DCMTK reports it), what came out so far is kept.
bool inflateCapped(const uint8_t *data, size_t size, size_t cap, std::vector<uint8_t> &out) {
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return true;
    z.next_in = const_cast<Bytef *>(data);
    z.avail_in = static_cast<uInt>(std::min<size_t>(size, 0x7FFFFFFF));
    std::vector<uint8_t> chunk(1 << 20);
    bool fits = true;
    for (;;) {
        z.next_out = chunk.data();
        z.avail_out = static_cast<uInt>(chunk.size());
        int status = inflate(&z, Z_NO_FLUSH);
        size_t produced = chunk.size() - z.avail_out;
        if (out.size() + produced > cap) { fits = false; break; }
        out.insert(out.end(), chunk.data(), chunk.data() + produced);
        if (status != Z_OK || (produced == 0 && z.avail_in == 0)) break;
    }
    inflateEnd(&z);
    return fits;
}
}  // namespace

StructureCheck checkStructure(const uint8_t *data, size_t size, long limit) {
    StructureCheck check;
    Reader r{data, size};
    size_t pos = 0;
    bool explicitVR = false;
    if (size >= 132 && std::memcmp(data + 128, "DICM", 4) == 0) {
        // The meta group: explicit VR little endian; find the transfer syntax and skip it.
        pos = 132;
        std::string syntax;
        while (pos + 8 <= size && r.u16(pos) == 0x0002) {
            uint16_t element = r.u16(pos + 2);
            // An element without a VR (no two upper-case letters after its tag) DCMTK reads as implicit VR:
            // a 4-byte length after the tag (fuzz_dicom a4b4809b: 4 GB declared, allocated from memory).
            const bool hasVR = looksLikeVR(data + pos + 4);
            bool isLong = !hasVR || longLengthVR(data + pos + 4);
            size_t header = hasVR && isLong ? 12 : 8;
            if (pos + header > size) return check;
            uint32_t length = !hasVR ? r.u32(pos + 4) : isLong ? r.u32(pos + 8) : r.u16(pos + 6);
            if (length == 0xFFFFFFFFu) return check;
            if (pos + header + length > size) { check.overrun = true; return check; }
            if (element == 0x0010) syntax.assign(reinterpret_cast<const char *>(data + pos + header), length);
            pos += header + length;
        }
        while (!syntax.empty() && (syntax.back() == '\0' || syntax.back() == ' ')) syntax.pop_back();
        if (syntax == "1.2.840.10008.1.2.1.99") {
            // Deflated explicit VR little endian: walk the inflated dataset, never more than the cap.
            std::vector<uint8_t> inflated;
            if (!inflateCapped(data + pos, size - pos, maxInflatedBytes, inflated)) {
                check.inflatesTooLarge = true;
                return check;
            }
            walkDataset(Reader{inflated.data(), inflated.size()}, 0, true, limit, check);
            return check;
        }
        if (syntax.empty()) {
            // A meta header without Transfer Syntax UID: DCMTK then detects the dataset's encoding; so do we.
            explicitVR = pos + 6 <= size && looksLikeVR(data + pos + 4);
        } else {
            explicitVR = syntax != "1.2.840.10008.1.2";
            r.big = syntax == "1.2.840.10008.1.2.2";
            // Every explicit-VR element carries two upper-case letters after its tag; a writer that declared
            // explicit VR but wrote implicit puts length bytes there, and a parser then reads garbage.
            if (explicitVR && pos + 6 <= size && !looksLikeVR(data + pos + 4)) {
                check.implicitUnderExplicitSyntax = true;
                return check;
            }
        }
    } else if (size >= 6) {
        // No meta header: explicit if bytes 4–5 look like a VR; big endian if the first group reads small
        // that way round (0008 stored 00 08), as DCMTK's detection decides.
        explicitVR = looksLikeVR(data + 4);
        r.big = data[0] == 0 && data[1] != 0;
    }
    walkDataset(r, pos, explicitVR, limit, check);
    return check;
}

}  // namespace dcb
