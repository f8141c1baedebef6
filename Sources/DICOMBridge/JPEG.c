/* JPEG through libjpeg-turbo. Plain C because libjpeg reports errors with longjmp. */
#include "DICOMBridge.h"

#include <stdio.h> /* before jpeglib.h, which uses FILE */

#include <jpeglib.h>
#include <jerror.h>

#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

void dcb_verbose_message(const char *what, const char *message);
int dcb_c_fail(char *err, size_t errlen, int status, const char *message);

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} jpeg_context;

static void jpeg_error_exit(j_common_ptr cinfo) {
    jpeg_context *ctx = (jpeg_context *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, ctx->message);
    longjmp(ctx->jump, 1);
}

/* libjpeg only warns when the data ends early or is damaged, and fills the rest of the image with gray or
   garbage: a truncated or corrupted radiograph would be read as a whole one, and a few bytes declaring 100
   megapixels would cost a full decode (the raster fuzzer's slowest inputs). Those warnings are errors here. */
static const char *jpeg_damage(int code) {
    switch (code) {
        case JWRN_JPEG_EOF: return "truncated JPEG: the data ends before the image does";
        case JWRN_HIT_MARKER: return "corrupt JPEG: a marker interrupts the compressed data before the image is complete";
        case JWRN_HUFF_BAD_CODE: return "corrupt JPEG: bad Huffman code in the compressed data";
        case JWRN_MUST_RESYNC: return "corrupt JPEG: the decoder lost its place in the compressed data";
        default: return NULL;
    }
}

static void jpeg_emit_message(j_common_ptr cinfo, int level) {
    const char *damage = level < 0 ? jpeg_damage(cinfo->err->msg_code) : NULL;
    if (damage) {
        jpeg_context *ctx = (jpeg_context *)cinfo->err;
        snprintf(ctx->message, sizeof(ctx->message), "%s", damage);
        longjmp(ctx->jump, 1);
    }
    if (level < 0) (*cinfo->err->output_message)(cinfo);
}

static void jpeg_output_message(j_common_ptr cinfo) {
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    dcb_verbose_message("libjpeg", buffer);
}

/* Widens one decoded row. Left out of fuzzing coverage (a per-sample comparison hook made this loop 60 %
   of the raster fuzzer's time); it has no branch worth exploring. */
#if defined(__clang__)
__attribute__((no_sanitize("coverage"), noinline))
#endif
static void widen_row(const JSAMPLE *row, uint16_t *out, size_t samples) {
    for (size_t i = 0; i < samples; ++i) out[i] = row[i];
}

/* One row of CMYK to RGB with PIL's formula (R = (255 - K) - C (255 - K) / 255, rounded as its MULDIV255). */
static void cmyk_row_to_rgb(const JSAMPLE *row, uint16_t *out, size_t pixels, int inverted) {
    for (size_t i = 0; i < pixels; ++i) {
        int k = inverted ? 255 - row[4 * i + 3] : row[4 * i + 3], nk = 255 - k;
        for (int c = 0; c < 3; ++c) {
            int v = inverted ? 255 - row[4 * i + c] : row[4 * i + c];
            int t = v * nk + 128;
            int r = nk - (((t >> 8) + t) >> 8);
            out[3 * i + c] = (uint16_t)(r < 0 ? 0 : r > 255 ? 255 : r);
        }
    }
}

/* The Orientation (0x0112) of an EXIF APP1 segment's first IFD: 1-8, or 0 when there is none. */
static unsigned exif_orientation(j_decompress_ptr cinfo) {
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        const unsigned char *d = m->data;
        unsigned n = m->data_length;
        if (m->marker != JPEG_APP0 + 1 || n < 14 || memcmp(d, "Exif\0\0", 6) != 0) continue;
        const unsigned char *t = d + 6;  /* the TIFF header */
        unsigned size = n - 6;
        int little = t[0] == 'I' && t[1] == 'I';
        if (!little && !(t[0] == 'M' && t[1] == 'M')) return 0;
#define U16(p) (little ? (unsigned)((p)[0] | (p)[1] << 8) : (unsigned)((p)[0] << 8 | (p)[1]))
#define U32(p) (little ? ((unsigned long)(p)[0] | (unsigned long)(p)[1] << 8 | (unsigned long)(p)[2] << 16 | (unsigned long)(p)[3] << 24) \
                       : ((unsigned long)(p)[0] << 24 | (unsigned long)(p)[1] << 16 | (unsigned long)(p)[2] << 8 | (unsigned long)(p)[3]))
        unsigned long ifd = U32(t + 4);
        if (ifd + 2 > size) return 0;
        unsigned entries = U16(t + ifd);
        for (unsigned i = 0; i < entries; ++i) {
            unsigned long e = ifd + 2 + 12ul * i;
            if (e + 12 > size) return 0;
            if (U16(t + e) == 0x0112 && U16(t + e + 2) == 3) {  /* SHORT, value in place */
                unsigned v = U16(t + e + 8);
                return v >= 1 && v <= 8 ? v : 0;
            }
        }
#undef U16
#undef U32
        return 0;
    }
    return 0;
}

/* The upright picture of pixels stored under EXIF orientation 2-8 (TIFF 6.0: where row 0 and column 0 lie). */
static uint16_t *apply_orientation(const uint16_t *in, uint32_t w, uint32_t h, unsigned channels, unsigned orientation,
                                   uint32_t *ow, uint32_t *oh) {
    int swap = orientation >= 5;
    *ow = swap ? h : w;
    *oh = swap ? w : h;
    uint16_t *out = (uint16_t *)malloc((size_t)w * h * channels * sizeof(uint16_t));
    if (!out) return NULL;
    for (uint32_t y = 0; y < *oh; ++y)
        for (uint32_t x = 0; x < *ow; ++x) {
            uint32_t sx, sy;
            switch (orientation) {
                case 2: sx = w - 1 - x; sy = y; break;              /* mirrored left-right */
                case 3: sx = w - 1 - x; sy = h - 1 - y; break;      /* turned 180 degrees */
                case 4: sx = x; sy = h - 1 - y; break;              /* mirrored top-bottom */
                case 5: sx = y; sy = x; break;                      /* transposed */
                case 6: sx = y; sy = h - 1 - x; break;              /* to be turned 90 degrees clockwise */
                case 7: sx = w - 1 - y; sy = h - 1 - x; break;      /* transversed */
                default: sx = w - 1 - y; sy = x; break;             /* 8: to be turned 90 degrees anticlockwise */
            }
            memcpy(out + ((size_t)y * *ow + x) * channels, in + ((size_t)sy * w + sx) * channels, channels * sizeof(uint16_t));
        }
    return out;
}

int dcb_jpeg_read(const char *path, dcb_raster *out, char *err, size_t errlen) {
    memset(out, 0, sizeof(*out));
    FILE *fp = fopen(path, "rb");
    if (!fp) return dcb_c_fail(err, errlen, DCB_ERR_IO, strerror(errno));
    unsigned char soi[2];
    if (fread(soi, 1, 2, fp) != 2 || soi[0] != 0xFF || soi[1] != 0xD8) {
        fclose(fp);
        return dcb_c_fail(err, errlen, DCB_ERR_NOT_IMAGE, "not a JPEG file (no SOI marker)");
    }
    rewind(fp);
    struct jpeg_decompress_struct cinfo;
    jpeg_context ctx;
    memset(&ctx, 0, sizeof(ctx));
    cinfo.err = jpeg_std_error(&ctx.base);
    ctx.base.error_exit = jpeg_error_exit;
    ctx.base.output_message = jpeg_output_message;
    ctx.base.emit_message = jpeg_emit_message;
    uint16_t *volatile data = NULL;
    JSAMPLE *volatile row = NULL;
    if (setjmp(ctx.jump)) {
        free(data);
        free(row);
        jpeg_destroy_decompress(&cinfo);
        fclose(fp);
        return dcb_c_fail(err, errlen, DCB_ERR_NOT_IMAGE, ctx.message[0] ? ctx.message : "corrupt JPEG");
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, fp);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);
    unsigned orientation = exif_orientation(&cinfo);
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    if (cinfo.num_components != 1 && cinfo.num_components != 3 && !cmyk) {
        jpeg_destroy_decompress(&cinfo);
        fclose(fp);
        return dcb_c_fail(err, errlen, DCB_ERR_UNSUPPORTED, "JPEG with unusual components (neither gray, RGB nor CMYK) is not supported");
    }
    if ((unsigned long long)cinfo.image_width * cinfo.image_height * cinfo.num_components > DCB_MAX_PIXELS) {
        jpeg_destroy_decompress(&cinfo);
        fclose(fp);
        return dcb_c_fail(err, errlen, DCB_ERR_TOO_LARGE, "JPEG exceeds the limit of 100 megapixels");
    }
    cinfo.out_color_space = cmyk ? JCS_CMYK : cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    /* CMYK (a print workflow's, e.g. a journal figure) becomes RGB as PIL converts it, after undoing the
       inversion Adobe's writers store (the Adobe marker says so). */
    unsigned channels = cmyk ? 3 : (unsigned)cinfo.output_components;
    int adobeInverted = cmyk && cinfo.saw_Adobe_marker;
    size_t rowSamples = (size_t)cinfo.output_width * channels;
    data = (uint16_t *)malloc(rowSamples * cinfo.output_height * sizeof(uint16_t));
    row = (JSAMPLE *)malloc((size_t)cinfo.output_width * cinfo.output_components);
    if (!data || !row) {
        snprintf(ctx.message, sizeof(ctx.message), "out of memory");
        longjmp(ctx.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW rows[1] = {row};
        size_t y = cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, rows, 1);
        if (cmyk) cmyk_row_to_rgb(row, data + y * rowSamples, cinfo.output_width, adobeInverted);
        else widen_row(row, data + y * rowSamples, rowSamples);
    }
    jpeg_finish_decompress(&cinfo);
    uint32_t width = cinfo.output_width, height = cinfo.output_height;
    if (orientation >= 2) {
        uint16_t *upright = apply_orientation(data, cinfo.output_width, cinfo.output_height, channels, orientation, &width, &height);
        if (!upright) {
            snprintf(ctx.message, sizeof(ctx.message), "out of memory");
            longjmp(ctx.jump, 1);
        }
        free(data);
        data = upright;
        out->orientation = (uint8_t)orientation;
    }
    out->width = width;
    out->height = height;
    out->channels = (uint8_t)channels;
    out->bit_depth = 8;
    out->data = data;
    jpeg_destroy_decompress(&cinfo);
    fclose(fp);
    free(row);
    return DCB_OK;
}
