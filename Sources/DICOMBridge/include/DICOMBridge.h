/*
 * DICOMBridge: the project's only C/C++ — a flat C API over DCMTK (DICOM parse, decode, write),
 * OpenJPEG (JPEG 2000, which Debian's DCMTK lacks), libpng and libjpeg-turbo.
 *
 * Bytes in, pixels and tags out; pixels and tags in, DICOM files out. Every call that can fail
 * returns a dcb_status and writes a one-line reason into `err` (never to stderr).
 */
#ifndef DICOMBRIDGE_H
#define DICOMBRIDGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    DCB_OK = 0,
    DCB_ERR_IO = 1,            /* cannot open, read or write the file */
    DCB_ERR_NOT_DICOM = 2,     /* not parseable as DICOM (nor ACR-NEMA) */
    DCB_ERR_UNSUPPORTED = 3,   /* unsupported transfer syntax or pixel layout */
    DCB_ERR_NO_PIXELS = 4,     /* no Pixel Data element */
    DCB_ERR_TRUNCATED = 5,     /* fewer pixel bytes than the header declares */
    DCB_ERR_TOO_LARGE = 6,     /* dimensions beyond the safety limit */
    DCB_ERR_MULTIFRAME = 7,    /* more than one frame */
    DCB_ERR_DECODE = 8,        /* the codec failed */
    DCB_ERR_INVALID = 9,       /* bad argument, tag path or value */
    DCB_ERR_NOT_FOUND = 10,    /* the attribute is absent */
    DCB_ERR_NOT_IMAGE = 11     /* PNG/JPEG decoder rejected the data */
} dcb_status;

/* Largest image accepted, in pixels (Rows x Columns x Samples). Guards against absurd headers. */
#define DCB_MAX_PIXELS ((uint64_t)100000000)

/* DCMTK, OpenJPEG and libjpeg messages stay silent unless verbose != 0. */
void dcb_set_verbose(int verbose);

/* Makes stdout line-buffered (progress lines show up at once when redirected to a file or pipe). */
void dcb_line_buffer_stdout(void);

/* ---- DICOM datasets ---------------------------------------------------------------------- */

typedef struct dcb_dataset dcb_dataset;

/* Reads a DICOM file (Part 10, or ACR-NEMA / no meta header when DCMTK can). */
int dcb_dataset_load(const char *path, dcb_dataset **out, char *err, size_t errlen);
/* Reads a DICOM object from memory (same rules as a file). */
int dcb_dataset_load_memory(const uint8_t *data, size_t length, dcb_dataset **out, char *err, size_t errlen);
/* A new, empty dataset for writing. */
dcb_dataset *dcb_dataset_new(void);
void dcb_dataset_free(dcb_dataset *ds);

/* The transfer syntax the object was read in ("" for a new dataset). */
int dcb_transfer_syntax(const dcb_dataset *ds, char *buf, size_t buflen);
/* Whether the file had a Part 10 meta header. */
int dcb_has_meta_header(const dcb_dataset *ds);

/* Tag paths use DCMTK's syntax: "PatientID", "(0018,5101)",
 * "ViewCodeSequence[0].CodeValue", "OriginalAttributesSequence[0].ModifiedAttributesSequence[0]". */

/* Gets the whole string value (all values joined by '\'); a path the dataset lacks is looked up in the file
 * meta information (group 0002) too. `needed` receives the length + 1.
 * DCB_NOT_FOUND when the attribute is absent; DCB_ERR_INVALID when buflen is too small. */
int dcb_get_string(const dcb_dataset *ds, const char *path, char *buf, size_t buflen, size_t *needed);
/* Gets a numeric value (element `index` of a multi-valued US, SS, UL, SL, FL, FD, DS or IS). */
int dcb_get_number(const dcb_dataset *ds, const char *path, unsigned long index, double *out);
/* Copies out the raw values of an OB/OW/US/SS array (e.g. LUT Data) as 16-bit words. */
int dcb_get_uint16_array(const dcb_dataset *ds, const char *path, uint16_t *buf, size_t count, size_t *available);
/* Number of items of a sequence (0 when absent). */
unsigned long dcb_sequence_count(const dcb_dataset *ds, const char *path);

/* Sets a value from a string, creating sequence items on the way. The VR comes from the dictionary. */
int dcb_put_string(dcb_dataset *ds, const char *path, const char *value, char *err, size_t errlen);
/* The same without checking the value against its VR: for values carried from a source as they are (a
 * source UID that breaks the UID syntax still has to be referenced by exactly that UID). */
int dcb_put_string_as_is(dcb_dataset *ds, const char *path, const char *value, char *err, size_t errlen);
/* Creates an empty sequence item or empty element at the path (e.g. "SourceImageSequence[0]"). */
int dcb_put_empty(dcb_dataset *ds, const char *path, char *err, size_t errlen);
/* Replaces every UI value equal to `old_uid`, at any depth (sequences included); returns how many. */
long dcb_replace_uid(dcb_dataset *ds, const char *old_uid, const char *new_uid);
/* Deletes every attribute the path matches. DCB_OK even if nothing matched. */
int dcb_delete(dcb_dataset *ds, const char *path);
/* Deep-copies the top-level attribute (group,element) of `src` into the item at `dst_item_path`
 * ("" = top level of dst). DCB_NOT_FOUND if src lacks it. */
int dcb_copy_element(dcb_dataset *dst, const char *dst_item_path, const dcb_dataset *src,
                     uint16_t group, uint16_t element, char *err, size_t errlen);
/* Puts binary values at the top level: OB from bytes, or OW from 16-bit words (Pixel Data, Overlay Data). */
int dcb_put_uint8_array(dcb_dataset *ds, uint16_t group, uint16_t element, const uint8_t *data, size_t length);
int dcb_put_uint16_array(dcb_dataset *ds, uint16_t group, uint16_t element, const uint16_t *data, size_t count);

/* Writes the dataset to `path`. keep_transfer_syntax != 0 writes in the syntax it was read in
 * (encapsulated pixel data is written back byte for byte); otherwise Explicit VR Little Endian
 * with a new meta header. Either way the meta header names the writer: Implementation Class UID and
 * Implementation Version Name are set to the given ones. */
int dcb_save(dcb_dataset *ds, const char *path, int keep_transfer_syntax, const char *implementation_class_uid,
             const char *implementation_version_name, char *err, size_t errlen);

/* ---- Structured reports: TID 1500 with DCMTK's dcmsr/cmr ------------------------------------ */

/* A composite object written for the reported image (a Secondary Capture, a Parametric Map), or a
 * presentation state that applies to the source image. */
typedef struct {
    const char *sop_class_uid;
    const char *sop_instance_uid;
    int is_presentation_state; /* != 0: shown on the source image, referenced with it */
} dcb_sr_reference;

/* One image's view classification as a TID 1500 Imaging Measurement Report. All strings UTF-8 (ASCII here). */
typedef struct {
    const char *device_observer_uid;   /* TID 1004: the algorithm as a device */
    const char *device_observer_name;
    const char *manufacturer;
    const char *model_name;
    const char *tracking_identifier;   /* TID 1501 */
    const char *tracking_uid;
    /* The view as a coded qualitative evaluation (111031, DCM, "Image View"): a CID 4010 code, or
     * (82334004, SCT, "Indeterminate") when no view was decided. */
    const char *view_code_value, *view_code_scheme, *view_code_meaning;
    const char *decision_text;         /* the decision in words (a TEXT qualitative evaluation); may be NULL */
    const char *probability;           /* decimal string, (122157, DCM, "Probability") in UCUM "1" */
    const char *algorithm_name;        /* TID 4019 on the measurement */
    const char *algorithm_version;
    const char *const *algorithm_parameters;
    size_t algorithm_parameter_count;
    const dcb_sr_reference *references;
    size_t reference_count;
    int describe_without_dates;        /* != 0: the image library gets no dates or times of the source (anonymized) */
} dcb_sr_view_report;

/* Builds the report's document (SR Document Content, Comprehensive SR) for `source` into a new dataset.
 * The caller adds patient, study, series, instance, time and evidence attributes, then saves it. */
int dcb_sr_view_report_build(dcb_dataset *source, const dcb_sr_view_report *report, dcb_dataset **out,
                             char *err, size_t errlen);

/* ---- Parametric Map with DCMTK's dcmpmap ---------------------------------------------------- */

/* One explanation map as a single-frame float Parametric Map on the source's image plane. */
typedef struct {
    unsigned rows, columns;
    const char *pixel_spacing;        /* "row\\column" in mm on the map's grid, or NULL when the source has none */
    const char *series_number, *instance_number;
    const char *content_label;        /* CS, e.g. "GRADCAM" */
    const char *content_description;
    const char *lut_label;            /* Real World Value Mapping: what the values are */
    const char *lut_explanation;
    const char *derivation_description;
    double first_value, last_value;   /* the range the mapping covers */
    const char *dimension_organization_uid;
} dcb_parametric_map;

/* Builds the Parametric Map for `source` from rows×columns floats into a new dataset (modules and functional
 * groups by dcmpmap). The caller adds patient, study, UIDs and times, then saves it. */
int dcb_parametric_map_build(dcb_dataset *source, const dcb_parametric_map *map, const float *values,
                             dcb_dataset **out, char *err, size_t errlen);

/* ---- Grayscale Softcopy Presentation State with DCMTK's dcmpstat ------------------------------ */

typedef struct {
    const char *label;               /* Content Label (CS) */
    const char *description;         /* Content Description */
    const char *layer;               /* graphic layer name (CS) */
    const char *layer_description;
    const float *points;             /* all polylines' (column, row) pairs in source pixels, concatenated */
    const size_t *point_counts;      /* points per polyline */
    size_t polyline_count;
    int has_window;                  /* 1: the image has no usable VOI of its own; display it with this window */
    double window_center, window_width;  /* in modality values, LINEAR (PS3.3 C.11.2.1.2) */
    const char *window_explanation;  /* Window Center & Width Explanation */
} dcb_presentation_state;

/* Builds a GSPS for `source` (its display as the image itself says: VOI, shutters, presentation LUT, or the
 * given window when the image has no usable VOI) that draws the polylines on one graphic layer, into a new
 * dataset. A VOI that dcmpstat refuses (e.g. Window Width 0) is left out rather than failing the object.
 * The caller sets identity and times. */
int dcb_presentation_state_build(dcb_dataset *source, const dcb_presentation_state *ps, dcb_dataset **out,
                                 char *err, size_t errlen);

/* ---- DICOM network: C-STORE --------------------------------------------------------------- */

/* What happened to one file of a send. */
typedef struct {
    int sent;                        /* 1: the peer stored it (success or warning status) */
    uint16_t dimse_status;           /* the peer's C-STORE response status (0 when none came) */
    char message[256];               /* why it was not sent, or the warning */
} dcb_send_result;

/* Sends DICOM files to a Storage SCP with DCMTK's DcmStorageSCU (one or more associations, the files'
 * own transfer syntaxes proposed, Explicit/Implicit VR Little Endian as fallbacks). `results[i]` tells
 * what happened to `paths[i]`. Returns DCB_OK when every file was stored; DCB_ERR_IO when the peer could
 * not be reached or refused the association (`err` says why; the results of the unsent files say so
 * too); DCB_ERR_INVALID when some files were refused (see their results). `timeout_seconds` bounds
 * connecting and each response. */
int dcb_send_files(const char *host, uint16_t port, const char *called_aet, const char *calling_aet,
                   uint32_t timeout_seconds, const char *const *paths, size_t count, dcb_send_result *results,
                   char *err, size_t errlen);

/* ---- DICOM node (Storage SCP) ------------------------------------------------------------- */

/* What the node asks its owner. Called from the association's worker thread (several at once when
 * max_associations > 1), so they must be thread-safe. */
typedef struct {
    void *context;
    /* 1 to accept an association from calling_aet at peer_host (refused: "calling AE title not recognised"). */
    int (*accept)(void *context, const char *calling_aet, const char *peer_host);
    /* Before a C-STORE's data set is read: 0 and a file path in spool_path to receive it there, or the
     * refusal status to answer (e.g. 0xA700 out of resources); a refused data set is read and dropped. */
    uint16_t (*admit)(void *context, const char *calling_aet, const char *sop_class_uid, char *spool_path, size_t spool_path_size);
    /* The data set is in spool_path (a Part 10 file, bit for bit as sent): the status to answer. The owner
     * has moved or removed the file by then. */
    uint16_t (*stored)(void *context, const char *calling_aet, const char *spool_path, const char *sop_class_uid,
                       const char *sop_instance_uid);
    /* One call per association when it ends: instances stored and refused, and how it ended. */
    void (*association_ended)(void *context, const char *calling_aet, const char *peer_host, unsigned stored,
                              unsigned refused, const char *how);
} dcb_node_callbacks;

typedef struct dcb_node dcb_node;

/* A Storage SCP for CR, DX and Secondary Capture images (and C-ECHO) in the transfer syntaxes the reader
 * decodes, up to max_associations at once (more are rejected as "local limit exceeded"). */
int dcb_node_create(uint16_t port, const char *aet, unsigned max_associations, uint32_t timeout_seconds,
                    const dcb_node_callbacks *callbacks, dcb_node **out, char *err, size_t errlen);
/* Listens until dcb_node_stop; returns after the associations in progress have ended. DCB_ERR_IO when
 * the port cannot be opened. */
int dcb_node_run(dcb_node *node, char *err, size_t errlen);
/* Thread-safe; the listening loop notices within a second. */
void dcb_node_stop(dcb_node *node);
void dcb_node_free(dcb_node *node);

/* ---- DICOM pixels -------------------------------------------------------------------------- */

typedef struct {
    uint32_t rows, columns, frames;
    uint16_t samples_per_pixel, bits_allocated, bits_stored, high_bit, pixel_representation;
    uint16_t planar_configuration;
    uint8_t encapsulated;            /* compressed transfer syntax */
    char photometric[24];
    char transfer_syntax[68];
    char decoder[48];                /* what decodes it: "native", "DCMTK IJG", "DCMTK CharLS", ... */
} dcb_pixel_info;

/* Reads the image pixel module and checks the size guard; no decoding. */
int dcb_pixel_info_get(const dcb_dataset *ds, dcb_pixel_info *out, char *err, size_t errlen);
/* Decodes frame 1 into stored values (masked to Bits Stored and sign-extended), samples interleaved.
 * `count` must be rows * columns * samples_per_pixel. The dataset itself is not changed. */
int dcb_decode_stored(const dcb_dataset *ds, int32_t *out, size_t count, char *err, size_t errlen);

/* ---- PNG and JPEG ------------------------------------------------------------------------- */

typedef struct {
    uint32_t width, height;
    uint8_t channels;                /* 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
    uint8_t bit_depth;               /* 8 or 16 */
    uint16_t *data;                  /* width*height*channels values, row-major, interleaved */
    uint8_t orientation;             /* JPEG: the EXIF Orientation (2-8) turned into the upright image; 0 none */
} dcb_raster;

/* PNG through libpng's classic API: 16-bit values exact (png_set_swap), no gamma, palette expanded. */
int dcb_png_read(const char *path, dcb_raster *out, char *err, size_t errlen);
/* Writes 8- or 16-bit gray / RGB / RGBA PNG. */
int dcb_png_write(const char *path, const dcb_raster *in, char *err, size_t errlen);
/* JPEG through libjpeg-turbo: gray stays gray, YCbCr becomes RGB; an EXIF Orientation is applied, so the pixels
 * are the picture as a viewer shows it (what browsers and PIL's exif_transpose do). */
int dcb_jpeg_read(const char *path, dcb_raster *out, char *err, size_t errlen);
void dcb_raster_free(dcb_raster *r);

#ifdef __cplusplus
}
#endif

#endif
