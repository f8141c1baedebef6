// The Image Pixel module and decoding of frame 1 into stored values.
#include "BridgeInternal.hpp"
#include "JPEG2000.hpp"

#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmdata/dcpixseq.h"

#include <cstdio>
#include <cstring>
#include <utility>
#include <string>
#include <vector>

using dcb::fail;

namespace {

bool isJPEG2000(E_TransferSyntax x) { return x == EXS_JPEG2000LosslessOnly || x == EXS_JPEG2000; }

const char *decoderName(E_TransferSyntax x) {
    DcmXfer xfer(x);
    if (isJPEG2000(x)) return "OpenJPEG";
    if (!xfer.isEncapsulated()) return xfer.getStreamCompression() == ESC_zlib ? "native (deflate)" : "native";
    switch (x) {
        case EXS_JPEGProcess1: case EXS_JPEGProcess2_4: case EXS_JPEGProcess14: case EXS_JPEGProcess14SV1:
        case EXS_JPEGProcess6_8: case EXS_JPEGProcess10_12:
            return "DCMTK dcmjpeg (IJG)";
        case EXS_JPEGLSLossless: case EXS_JPEGLSLossy:
            return "DCMTK dcmjpls (CharLS)";
        case EXS_RLELossless:
            return "DCMTK RLE";
        default:
            return "";
    }
}

/// Transfer syntaxes added to the standard after the DCMTK this links (3.6.7 knows none of them), named so that
/// a file in one is refused for what it is rather than misread as uncompressed.
std::string newerTransferSyntaxName(const std::string &uid) {
    static const std::pair<const char *, const char *> names[] = {
        {"1.2.840.10008.1.2.4.110", "JPEG XL Lossless"},
        {"1.2.840.10008.1.2.4.111", "JPEG XL JPEG Recompression"},
        {"1.2.840.10008.1.2.4.112", "JPEG XL"},
        {"1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000, lossless only"},
        {"1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL options, lossless only"},
        {"1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000"},
        {"1.2.840.10008.1.2.4.204", "JPIP HTJ2K Referenced"},
        {"1.2.840.10008.1.2.4.205", "JPIP HTJ2K Referenced Deflate"},
        {"1.2.840.10008.1.2.8.1", "Deflated Image Frame Compression"},
        {"1.2.840.10008.1.2.7.1", "SMPTE ST 2110-20 uncompressed progressive active video"},
        {"1.2.840.10008.1.2.7.2", "SMPTE ST 2110-20 uncompressed interlaced active video"},
        {"1.2.840.10008.1.2.7.3", "SMPTE ST 2110-30 PCM digital audio"},
    };
    for (const auto &n : names)
        if (uid == n.first) return n.second;
    return "not a transfer syntax this reader knows";
}

/// The first message in which a DCMTK codec reports damaged data and returns an image anyway (IJG: "Corrupt JPEG
/// data: bad Huffman code", "Premature end of JPEG file"), or "". A few bytes before a marker are an encoder's
/// padding, not damage; hundreds mean the scan ended early (IJG fills the rest of the image with gray).
std::string damageReport(const std::vector<std::string> &messages) {
    for (const auto &m : messages) {
        unsigned extraneous = 0;
        if (std::sscanf(m.c_str(), "Corrupt JPEG data: %u extraneous bytes", &extraneous) == 1 && extraneous <= 16) continue;
        if (m.rfind("Corrupt JPEG data", 0) == 0 || m.rfind("Premature end of JPEG file", 0) == 0) return m;
    }
    return "";
}

struct PixelModule {
    Uint16 rows = 0, columns = 0, spp = 1, ba = 0, bs = 0, hb = 0, pr = 0, pc = 0;
    Sint32 frames = 1;
    OFString photometric;
};

int readModule(DcmItem *d, PixelModule &m, char *err, size_t errlen) {
    if (d->findAndGetUint16(DCM_Rows, m.rows).bad() || d->findAndGetUint16(DCM_Columns, m.columns).bad())
        return fail(err, errlen, DCB_ERR_NO_PIXELS, "no Rows/Columns: not an image");
    if (d->findAndGetUint16(DCM_BitsAllocated, m.ba).bad())
        return fail(err, errlen, DCB_ERR_INVALID, "Bits Allocated missing");
    if (d->findAndGetUint16(DCM_BitsStored, m.bs).bad()) m.bs = m.ba;
    if (d->findAndGetUint16(DCM_HighBit, m.hb).bad()) m.hb = m.bs ? m.bs - 1 : 0;
    d->findAndGetUint16(DCM_SamplesPerPixel, m.spp);
    d->findAndGetUint16(DCM_PixelRepresentation, m.pr);
    d->findAndGetUint16(DCM_PlanarConfiguration, m.pc);
    if (d->findAndGetSint32(DCM_NumberOfFrames, m.frames).bad()) m.frames = 1;
    d->findAndGetOFString(DCM_PhotometricInterpretation, m.photometric);
    return DCB_OK;
}

int checkModule(const PixelModule &m, char *err, size_t errlen) {
    if (m.rows == 0 || m.columns == 0) return fail(err, errlen, DCB_ERR_INVALID, "Rows or Columns is zero");
    uint64_t pixels = uint64_t(m.rows) * m.columns * std::max<Uint16>(m.spp, 1);
    if (pixels > DCB_MAX_PIXELS)
        return fail(err, errlen, DCB_ERR_TOO_LARGE,
                    "image of " + std::to_string(m.rows) + " x " + std::to_string(m.columns) + " x " +
                        std::to_string(m.spp) + " samples exceeds the limit of 100 megapixels");
    if (m.spp != 1 && m.spp != 3)
        return fail(err, errlen, DCB_ERR_UNSUPPORTED, "Samples per Pixel " + std::to_string(m.spp) + " not supported");
    if (m.ba != 8 && m.ba != 16)
        return fail(err, errlen, DCB_ERR_UNSUPPORTED, "Bits Allocated " + std::to_string(m.ba) + " not supported");
    if (m.bs == 0 || m.bs > m.ba || m.hb >= m.ba || m.hb + 1 < m.bs)
        return fail(err, errlen, DCB_ERR_INVALID,
                    "inconsistent Bits Stored " + std::to_string(m.bs) + " / High Bit " + std::to_string(m.hb));
    return DCB_OK;
}

/// Extracts stored values from uncompressed little-endian pixel data (masking and sign extension).
int extractNative(DcmItem *d, const PixelModule &m, int32_t *out, size_t count, char *err, size_t errlen) {
    DcmElement *pd = nullptr;
    if (d->findAndGetElement(DCM_PixelData, pd).bad() || !pd) return fail(err, errlen, DCB_ERR_NO_PIXELS, "no Pixel Data");
    const size_t samples = size_t(m.rows) * m.columns * m.spp;
    const size_t bytesNeeded = samples * (m.ba / 8);
    // Compressed fragments under a transfer syntax that says uncompressed: the meta header names the wrong one.
    Uint8 head[4] = {0, 0, 0, 0};
    static const Uint8 itemTag[] = {0xFE, 0xFF, 0x00, 0xE0};
    if (pd->getLength() < bytesNeeded && pd->getLength() >= 8 && pd->getPartialValue(head, 0, 4).good() &&
        std::memcmp(head, itemTag, 4) == 0) {
        auto *dataset = dynamic_cast<DcmDataset *>(d);
        const std::string syntax = dataset ? std::string(DcmXfer(dataset->getOriginalXfer()).getXferID()) + " " : "";
        return fail(err, errlen, DCB_ERR_INVALID,
                    "the Pixel Data holds compressed fragments, but the transfer syntax " + syntax + "says uncompressed");
    }
    if (pd->getLength() < bytesNeeded)
        return fail(err, errlen, DCB_ERR_TRUNCATED,
                    "Pixel Data has " + std::to_string(pd->getLength()) + " bytes, the header declares " +
                        std::to_string(bytesNeeded));
    if (count != samples) return fail(err, errlen, DCB_ERR_INVALID, "output buffer size does not match the image");

    const int shift = m.hb + 1 - m.bs;
    const uint32_t mask = (m.bs >= 32) ? 0xFFFFFFFFu : ((1u << m.bs) - 1u);
    const uint32_t signBit = 1u << (m.bs - 1);
    auto convert = [&](uint32_t raw) -> int32_t {
        uint32_t v = (raw >> shift) & mask;
        if (m.pr == 1 && (v & signBit)) return int32_t(v) - int32_t(mask) - 1;
        return int32_t(v);
    };
    // Colour-by-plane data is interleaved here so that callers see one layout.
    auto index = [&](size_t i) -> size_t {
        if (m.spp == 1 || m.pc == 0) return i;
        size_t plane = size_t(m.rows) * m.columns;
        return (i % m.spp) * plane + i / m.spp;
    };
    if (m.ba == 8) {
        Uint8 *data = nullptr;
        if (pd->getUint8Array(data).bad() || !data) return fail(err, errlen, DCB_ERR_DECODE, "cannot access Pixel Data");
        for (size_t i = 0; i < samples; ++i) out[i] = convert(data[index(i)]);
    } else {
        Uint16 *data = nullptr;
        if (pd->getUint16Array(data).bad() || !data) return fail(err, errlen, DCB_ERR_DECODE, "cannot access Pixel Data");
        for (size_t i = 0; i < samples; ++i) out[i] = convert(data[index(i)]);
    }
    return DCB_OK;
}

}  // namespace

extern "C" int dcb_pixel_info_get(const dcb_dataset *ds, dcb_pixel_info *out, char *err, size_t errlen) {
    DcmDataset *d = const_cast<dcb_dataset *>(ds)->file.getDataset();
    std::memset(out, 0, sizeof(*out));
    if (!d->tagExists(DCM_PixelData)) {
        if (d->tagExists(DCM_FloatPixelData) || d->tagExists(DCM_DoubleFloatPixelData))
            return fail(err, errlen, DCB_ERR_NO_PIXELS, "no Pixel Data element, only float pixel data (a parametric map's), not a radiograph's");
        return fail(err, errlen, DCB_ERR_NO_PIXELS, "no Pixel Data element");
    }
    // A meta header naming a transfer syntax DCMTK does not know: DCMTK then guesses the encoding from the data and
    // reads compressed fragments as if they were pixels, so refuse it by name first.
    OFString declared;
    DcmMetaInfo *meta = const_cast<dcb_dataset *>(ds)->file.getMetaInfo();
    if (meta && meta->findAndGetOFString(DCM_TransferSyntaxUID, declared).good() && !declared.empty() &&
        DcmXfer(declared.c_str()).getXfer() == EXS_Unknown)
        return fail(err, errlen, DCB_ERR_UNSUPPORTED,
                    "unsupported transfer syntax " + std::string(declared.c_str()) + " (" +
                    newerTransferSyntaxName(declared.c_str()) + ")");
    PixelModule m;
    int status = readModule(d, m, err, errlen);
    if (status != DCB_OK) return status;
    out->rows = m.rows;
    out->columns = m.columns;
    out->frames = m.frames > 0 ? uint32_t(m.frames) : 1;
    out->samples_per_pixel = m.spp;
    out->bits_allocated = m.ba;
    out->bits_stored = m.bs;
    out->high_bit = m.hb;
    out->pixel_representation = m.pr;
    out->planar_configuration = m.pc;
    std::snprintf(out->photometric, sizeof(out->photometric), "%s", m.photometric.c_str());
    E_TransferSyntax x = d->getOriginalXfer();
    DcmXfer xfer(x);
    out->encapsulated = xfer.isEncapsulated() ? 1 : 0;
    std::snprintf(out->transfer_syntax, sizeof(out->transfer_syntax), "%s", xfer.getXferID());
    std::snprintf(out->decoder, sizeof(out->decoder), "%s",
                  isJPEG2000(x) ? dcb::openJPEGName().c_str() : decoderName(x));
    return checkModule(m, err, errlen);
}

extern "C" int dcb_decode_stored(const dcb_dataset *ds, int32_t *out, size_t count, char *err, size_t errlen) {
    dcb::ensureInitialised();
    DcmDataset *d = const_cast<dcb_dataset *>(ds)->file.getDataset();
    dcb_pixel_info info;
    int status = dcb_pixel_info_get(ds, &info, err, errlen);
    if (status != DCB_OK) return status;
    if (info.frames > 1)
        return fail(err, errlen, DCB_ERR_MULTIFRAME,
                    "multi-frame image (" + std::to_string(info.frames) + " frames) is not supported");
    E_TransferSyntax x = d->getOriginalXfer();
    PixelModule m;
    readModule(d, m, err, errlen);

    if (!info.encapsulated) {
        status = extractNative(d, m, out, count, err, errlen);
        DcmMetaInfo *meta = const_cast<dcb_dataset *>(ds)->file.getMetaInfo();
        if (status != DCB_OK && meta && meta->card() > 0 && !meta->tagExists(DCM_TransferSyntaxUID))
            return fail(err, errlen, DCB_ERR_UNSUPPORTED,
                        "the meta header has no Transfer Syntax UID (0002,0010): the Pixel Data's encoding cannot be "
                        "known (read as uncompressed: " + std::string(err) + ")");
        return status;
    }

    if (isJPEG2000(x)) {
        if (count != size_t(m.rows) * m.columns * m.spp)
            return fail(err, errlen, DCB_ERR_INVALID, "output buffer size does not match the image");
        return dcb::decodeJPEG2000(d, m.rows, m.columns, m.spp, m.bs, m.pr != 0, out, err, errlen);
    }
    if (decoderName(x)[0] == '\0')
        return fail(err, errlen, DCB_ERR_UNSUPPORTED,
                    std::string("unsupported transfer syntax ") + info.transfer_syntax + " (" + DcmXfer(x).getXferName() + ")");

    if (x == EXS_RLELossless) {
        std::vector<uint8_t> frame;
        status = dcb::encapsulatedFrame(d, "RLE", frame, err, errlen);
        if (status != DCB_OK) return status;
        status = dcb::checkRLEFrame(frame, m.rows, m.columns, unsigned(m.spp) * (m.ba / 8), err, errlen);
        if (status != DCB_OK) return status;
    }
    // Decode a copy so that the caller's dataset keeps its original (compressed) representation.
    DcmDataset work(*d);
    dcb::DecoderMessages messages;
    OFCondition cond = work.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
    const std::string damage = damageReport(messages.messages());
    if (cond.bad() || !work.canWriteXfer(EXS_LittleEndianExplicit) || !damage.empty())
        return fail(err, errlen, DCB_ERR_DECODE,
                    std::string(info.decoder) + " cannot decode the Pixel Data (corrupt or incomplete): " +
                        (damage.empty() ? std::string(cond.text()) : damage));
    // Decoders may rewrite Bits Stored (lossy JPEG precision) or the photometric interpretation.
    PixelModule decoded;
    status = readModule(&work, decoded, err, errlen);
    if (status != DCB_OK) return status;
    status = checkModule(decoded, err, errlen);
    if (status != DCB_OK) return status;
    if (decoded.rows != m.rows || decoded.columns != m.columns || decoded.spp != m.spp)
        return fail(err, errlen, DCB_ERR_DECODE, "decoded image size differs from the header");
    return extractNative(&work, decoded, out, count, err, errlen);
}
