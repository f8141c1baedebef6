// JPEG 2000 (1.2.840.10008.1.2.4.90 / .91) through OpenJPEG's memory-stream API.
#include "JPEG2000.hpp"


#include <openjpeg.h>

#include <cstring>
#include <memory>
#include <vector>

using dcb::fail;

namespace {

struct MemoryStream {
    const uint8_t *data;
    OPJ_SIZE_T size;
    OPJ_SIZE_T offset;
};

OPJ_SIZE_T readFn(void *buffer, OPJ_SIZE_T n, void *user) {
    auto *s = static_cast<MemoryStream *>(user);
    if (s->offset >= s->size) return OPJ_SIZE_T(-1);
    OPJ_SIZE_T k = std::min(n, s->size - s->offset);
    std::memcpy(buffer, s->data + s->offset, k);
    s->offset += k;
    return k;
}
OPJ_OFF_T skipFn(OPJ_OFF_T n, void *user) {
    auto *s = static_cast<MemoryStream *>(user);
    if (n < 0) {
        OPJ_SIZE_T back = OPJ_SIZE_T(-n);
        if (back > s->offset) back = s->offset;
        s->offset -= back;
        return -OPJ_OFF_T(back);
    }
    OPJ_SIZE_T k = std::min(OPJ_SIZE_T(n), s->size - s->offset);
    s->offset += k;
    return OPJ_OFF_T(k);
}
OPJ_BOOL seekFn(OPJ_OFF_T n, void *user) {
    auto *s = static_cast<MemoryStream *>(user);
    if (n < 0 || OPJ_SIZE_T(n) > s->size) return OPJ_FALSE;
    s->offset = OPJ_SIZE_T(n);
    return OPJ_TRUE;
}

void quietHandler(const char *, void *) {}
void errorHandler(const char *msg, void *user) {
    auto *last = static_cast<std::string *>(user);
    *last = msg;
    while (!last->empty() && (last->back() == '\n' || last->back() == '\r')) last->pop_back();
}

}  // namespace

namespace dcb {

std::string openJPEGName() { return std::string("OpenJPEG ") + opj_version(); }

int decodeJPEG2000(DcmDataset *d, unsigned rows, unsigned columns, unsigned samples, unsigned bitsStored,
                   bool isSigned, int32_t *out, char *err, size_t errlen) {
    std::vector<uint8_t> codestream;
    int status = encapsulatedFrame(d, "JPEG 2000", codestream, err, errlen);
    if (status != DCB_OK) return status;
    if (codestream.size() < 4) return fail(err, errlen, DCB_ERR_DECODE, "JPEG 2000 Pixel Data is empty");

    // JP2 file format starts with a signature box; a raw codestream with SOC (FF 4F).
    static const uint8_t jp2Signature[] = {0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20};
    bool isJP2 = codestream.size() >= 8 && std::memcmp(codestream.data(), jp2Signature, 8) == 0;
    std::unique_ptr<opj_codec_t, void (*)(opj_codec_t *)> codec(
        opj_create_decompress(isJP2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K), opj_destroy_codec);
    if (!codec) return fail(err, errlen, DCB_ERR_DECODE, "OpenJPEG could not create a decoder");
    std::string lastError = "invalid JPEG 2000 codestream";
    opj_set_error_handler(codec.get(), errorHandler, &lastError);
    opj_set_warning_handler(codec.get(), quietHandler, nullptr);
    opj_set_info_handler(codec.get(), quietHandler, nullptr);
    opj_dparameters_t params;
    opj_set_default_decoder_parameters(&params);
    if (!opj_setup_decoder(codec.get(), &params)) return fail(err, errlen, DCB_ERR_DECODE, "OpenJPEG setup failed");

    MemoryStream source{codestream.data(), codestream.size(), 0};
    std::unique_ptr<opj_stream_t, void (*)(opj_stream_t *)> stream(opj_stream_create(1 << 16, OPJ_TRUE),
                                                                   opj_stream_destroy);
    opj_stream_set_user_data(stream.get(), &source, nullptr);
    opj_stream_set_user_data_length(stream.get(), codestream.size());
    opj_stream_set_read_function(stream.get(), readFn);
    opj_stream_set_skip_function(stream.get(), skipFn);
    opj_stream_set_seek_function(stream.get(), seekFn);

    opj_image_t *raw = nullptr;
    if (!opj_read_header(stream.get(), codec.get(), &raw)) {
        if (raw) opj_image_destroy(raw);
        return fail(err, errlen, DCB_ERR_DECODE, "OpenJPEG: " + lastError);
    }
    std::unique_ptr<opj_image_t, void (*)(opj_image_t *)> image(raw, opj_image_destroy);
    if (uint64_t(image->x1 - image->x0) * (image->y1 - image->y0) > DCB_MAX_PIXELS)
        return fail(err, errlen, DCB_ERR_TOO_LARGE, "JPEG 2000 image exceeds the limit of 100 megapixels");
    if (!opj_decode(codec.get(), stream.get(), image.get()) || !opj_end_decompress(codec.get(), stream.get()))
        return fail(err, errlen, DCB_ERR_DECODE, "OpenJPEG: " + lastError);

    if (image->numcomps != samples)
        return fail(err, errlen, DCB_ERR_DECODE,
                    "JPEG 2000 has " + std::to_string(image->numcomps) + " components, header says " +
                        std::to_string(samples));
    for (unsigned c = 0; c < samples; ++c) {
        const opj_image_comp_t &comp = image->comps[c];
        if (comp.w != columns || comp.h != rows || !comp.data)
            return fail(err, errlen, DCB_ERR_DECODE, "JPEG 2000 component size differs from Rows/Columns");
    }
    const size_t plane = size_t(rows) * columns;
    for (size_t i = 0; i < plane; ++i)
        for (unsigned c = 0; c < samples; ++c) out[i * samples + c] = image->comps[c].data[i];
    // A codestream whose signedness disagrees with Pixel Representation (an unsigned codestream of signed
    // data is common): reinterpret its bits as the dataset declares them.
    bool agrees = true;
    for (unsigned c = 0; c < samples; ++c) agrees = agrees && (image->comps[c].sgnd != 0) == isSigned;
    if (!agrees && bitsStored > 0 && bitsStored < 32) {
        const uint32_t mask = (uint32_t(1) << bitsStored) - 1, sign = uint32_t(1) << (bitsStored - 1);
        for (size_t i = 0; i < plane * samples; ++i) {
            uint32_t v = uint32_t(out[i]) & mask;
            out[i] = isSigned && (v & sign) ? int32_t(v) - int32_t(mask) - 1 : int32_t(v);
        }
    }
    return DCB_OK;
}

}  // namespace dcb
