// A structural check of an RLE Lossless frame (PS3.5 Annex G) before DCMTK decodes it: DCMTK fills a short
// segment with zeros after a warning nobody sees, and stops a segment that runs long without a word, so a
// truncated or corrupted frame would otherwise decode into an image that is partly blank or shifted.
#include "BridgeInternal.hpp"

#include <algorithm>

namespace {

uint32_t littleEndian32(const uint8_t *p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

}  // namespace

namespace dcb {

int checkRLEFrame(const std::vector<uint8_t> &frame, unsigned rows, unsigned columns, unsigned segmentsNeeded,
                  char *err, size_t errlen) {
    const size_t headerBytes = 64;
    if (frame.size() < headerBytes)
        return fail(err, errlen, DCB_ERR_TRUNCATED,
                    "RLE frame has " + std::to_string(frame.size()) + " bytes, less than its 64-byte header");
    const uint32_t segments = littleEndian32(frame.data());
    if (segments != segmentsNeeded)
        return fail(err, errlen, DCB_ERR_DECODE,
                    "RLE header declares " + std::to_string(segments) + " segments, the image needs " +
                        std::to_string(segmentsNeeded) + " (one per byte of each sample)");
    std::vector<size_t> starts(segments + 1, frame.size());
    for (uint32_t s = 0; s < segments; ++s) {
        starts[s] = littleEndian32(frame.data() + 4 + 4 * s);
        if (starts[s] < headerBytes || starts[s] > frame.size() || (s > 0 && starts[s] < starts[s - 1]))
            return fail(err, errlen, DCB_ERR_DECODE,
                        "RLE header places segment " + std::to_string(s + 1) + " of " + std::to_string(segments) +
                            " at byte " + std::to_string(starts[s]) + ", outside the " + std::to_string(frame.size()) +
                            "-byte frame or before the segment it follows");
    }
    const size_t expected = size_t(rows) * columns;
    for (uint32_t s = 0; s < segments; ++s) {
        const std::string name = "RLE segment " + std::to_string(s + 1) + " of " + std::to_string(segments);
        size_t i = starts[s], end = starts[s + 1], produced = 0;
        bool cutShort = false;
        while (i < end && produced < expected) {
            const uint8_t control = frame[i++];
            if (control < 128) {  // copy the next control + 1 bytes
                const size_t count = size_t(control) + 1, present = std::min(count, end - i);
                produced += present;
                i += present;
                cutShort = present < count;
            } else if (control > 128) {  // repeat the next byte 257 - control times
                cutShort = i == end;
                if (!cutShort) produced += 257 - size_t(control);
                i += cutShort ? 0 : 1;
            }
        }
        if (cutShort || produced < expected)
            return fail(err, errlen, DCB_ERR_TRUNCATED,
                        name + " holds " + std::to_string(std::min(produced, expected)) + " of its " +
                            std::to_string(expected) + " bytes: the pixel data is truncated or corrupt");
        if (produced > expected)
            return fail(err, errlen, DCB_ERR_DECODE,
                        name + " runs past its " + std::to_string(expected) + " bytes: the pixel data is corrupt");
        // Encoders pad a segment to an even length; anything else left over means the runs went astray.
        const size_t leftover = end - i;
        for (; i < end; ++i)
            if (frame[i] != 0x00 && frame[i] != 0x80)
                return fail(err, errlen, DCB_ERR_DECODE,
                            name + " has " + std::to_string(leftover) +
                                " bytes left after its last pixel: the pixel data is corrupt");
    }
    return DCB_OK;
}

}  // namespace dcb
