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

/* libjpeg only warns when the data ends early and fills the rest of the image with gray: a truncated
   radiograph would be read as a whole one, and a few bytes declaring 100 megapixels would cost a full
   decode (the raster fuzzer's slowest inputs). Running out of data is an error here. */
static void jpeg_emit_message(j_common_ptr cinfo, int level) {
    int code = cinfo->err->msg_code;
    if (level < 0 && (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER)) {
        jpeg_context *ctx = (jpeg_context *)cinfo->err;
        snprintf(ctx->message, sizeof(ctx->message), "truncated JPEG: the data ends before the image does");
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
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.num_components != 1 && cinfo.num_components != 3) {
        jpeg_destroy_decompress(&cinfo);
        fclose(fp);
        return dcb_c_fail(err, errlen, DCB_ERR_UNSUPPORTED, "JPEG with CMYK or unusual components is not supported");
    }
    if ((unsigned long long)cinfo.image_width * cinfo.image_height * cinfo.num_components > DCB_MAX_PIXELS) {
        jpeg_destroy_decompress(&cinfo);
        fclose(fp);
        return dcb_c_fail(err, errlen, DCB_ERR_TOO_LARGE, "JPEG exceeds the limit of 100 megapixels");
    }
    cinfo.out_color_space = cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    unsigned channels = (unsigned)cinfo.output_components;
    size_t rowSamples = (size_t)cinfo.output_width * channels;
    data = (uint16_t *)malloc(rowSamples * cinfo.output_height * sizeof(uint16_t));
    row = (JSAMPLE *)malloc(rowSamples);
    if (!data || !row) {
        snprintf(ctx.message, sizeof(ctx.message), "out of memory");
        longjmp(ctx.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW rows[1] = {row};
        size_t y = cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, rows, 1);
        widen_row(row, data + y * rowSamples, rowSamples);
    }
    jpeg_finish_decompress(&cinfo);
    out->width = cinfo.output_width;
    out->height = cinfo.output_height;
    out->channels = (uint8_t)channels;
    out->bit_depth = 8;
    out->data = data;
    jpeg_destroy_decompress(&cinfo);
    fclose(fp);
    free(row);
    return DCB_OK;
}
