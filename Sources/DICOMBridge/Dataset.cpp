// Loading, reading and editing attributes, and saving: a thin layer over DcmFileFormat and DcmPathProcessor.
#include "BridgeInternal.hpp"

#include "dcmtk/dcmdata/dcistrmb.h"
#include "dcmtk/dcmdata/dcpath.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <new>
#include <unordered_map>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using dcb::fail;

namespace {

/// A file that parsed but holds nothing recognisable is not DICOM (DCMTK's auto-detect is lenient).
bool looksLikeDICOM(DcmFileFormat &file) {
    DcmDataset *d = file.getDataset();
    if (!d || d->card() == 0) return false;
    // Any real object has at least one of these; random bytes parsed as implicit VR rarely do.
    DcmMetaInfo *meta = file.getMetaInfo();
    return d->tagExists(DCM_SOPClassUID) || d->tagExists(DCM_PixelData) || d->tagExists(DCM_Rows) ||
           d->tagExists(DCM_StudyInstanceUID) || d->tagExists(DCM_Modality) ||
           (meta && meta->tagExists(DCM_MediaStorageSOPClassUID));  // a DICOMDIR has none of the above
}

int finishLoad(dcb_dataset *ds, OFCondition cond, dcb_dataset **out, char *err, size_t errlen) {
    if (cond == EC_StreamNotifyClient && looksLikeDICOM(ds->file)) {
        // DCMTK ran out of bytes inside an attribute whose length the header declares.
        delete ds;
        return fail(err, errlen, DCB_ERR_TRUNCATED, "truncated: the file ends inside an attribute (declared length exceeds the data)");
    }
    if (cond.bad()) {
        // A meta header that reads and says Deflated: the damage is in the compressed dataset after it.
        OFString syntax;
        DcmMetaInfo *meta = ds->file.getMetaInfo();
        const bool deflated = meta && meta->findAndGetOFString(DCM_TransferSyntaxUID, syntax).good() &&
                              syntax == UID_DeflatedExplicitVRLittleEndianTransferSyntax;
        delete ds;
        if (deflated)  // a DICOM file whose codec (zlib) failed, not "not DICOM": a batch lists it as failed
            return fail(err, errlen, DCB_ERR_DECODE,
                        std::string("the deflate-compressed dataset is corrupt (") + cond.text() + ")");
        return fail(err, errlen, DCB_ERR_NOT_DICOM, std::string("not a readable DICOM file (") + cond.text() + ")");
    }
    if (!looksLikeDICOM(ds->file)) {
        // A Part 10 meta header that parsed makes it a DICOM file, one that holds no image.
        DcmMetaInfo *meta = ds->file.getMetaInfo();
        const bool partTen = meta && meta->tagExists(DCM_TransferSyntaxUID);
        delete ds;
        if (partTen)
            return fail(err, errlen, DCB_ERR_NO_PIXELS, "a DICOM file that holds no image (no SOP Class UID, Rows/Columns or Pixel Data)");
        return fail(err, errlen, DCB_ERR_NOT_DICOM, "not a DICOM file (no DICOM attributes found)");
    }
    *out = ds;
    return DCB_OK;
}

/// Every public keyword of DCMTK's dictionary with its tag, read once. DCMTK looks a keyword up by a linear
/// scan with a strcmp per entry; writers put hundreds of attributes per object, and the tag-writer fuzzer
/// spent 70 % of its time there (unknown names are never cached, so each one scanned the whole dictionary).
const std::unordered_map<std::string, DcmTagKey> &keywordTable() {
    static const std::unordered_map<std::string, DcmTagKey> table = [] {
        std::unordered_map<std::string, DcmTagKey> t;
        // The iterators are declared non-const only; the walk reads.
        DcmDataDictionary &dict = const_cast<DcmDataDictionary &>(dcmDataDict.rdlock());
        auto add = [&t](const DcmDictEntry *e) {
            if (e && e->getTagName() && !e->getPrivateCreator()) t.emplace(e->getTagName(), e->getKey());
        };
        for (DcmHashDictIterator it = dict.normalBegin(); it != dict.normalEnd(); ++it) add(*it);
        for (DcmDictEntryListIterator it = dict.repeatingBegin(); it != dict.repeatingEnd(); ++it) add(*it);
        dcmDataDict.rdunlock();
        return t;
    }();
    return table;
}

constexpr long maxItemIndex = 10000;

/// The path with every keyword replaced by its "(gggg,eeee)" tag, or an empty string and the reason in
/// `why` when a keyword is unknown or an item index is beyond any real sequence.
std::string numericPath(const char *path, std::string &why) {
    const auto &keywords = keywordTable();
    std::string out;
    const char *p = path;
    while (*p) {
        const char *end = p;
        while (*end && *end != '.' && *end != '[') ++end;
        std::string name(p, end);
        if (!name.empty() && name[0] != '(') {
            auto hit = keywords.find(name);
            if (hit == keywords.end()) {
                why = "unknown attribute keyword";
                return std::string();
            }
            char buf[16];
            std::snprintf(buf, sizeof buf, "(%04X,%04X)", hit->second.getGroup(), hit->second.getElement());
            out += buf;
        } else {
            out += name;
        }
        // The item index and the separator, copied as they are. An index beyond any real sequence would
        // make DCMTK create every item up to it (the tag-writer fuzzer ran out of memory on [7777…7]):
        // such a path is refused instead.
        if (*end == '[') {
            const char *digits = end + 1;
            size_t n = 0;
            while (std::isdigit(static_cast<unsigned char>(digits[n]))) ++n;
            if (n > 5 || (n > 0 && std::atol(std::string(digits, n).c_str()) > maxItemIndex)) {
                why = "item index out of range (at most 10000)";
                return std::string();
            }
        }
        while (*end && *end != '.') out += *end++;
        if (*end == '.') out += *end++;
        p = end;
    }
    return out;
}

/// Whether every element the path steps into with an item index ("(gggg,eeee)[n]") that the dataset holds is a
/// sequence. A damaged file may carry a sequence's tag with another VR (Procedure Code Sequence as LO):
/// DCMTK's path processor takes it for a sequence unchecked and crashes (found by fuzz_dicom).
bool pathStepsIntoSequences(DcmItem *item, const std::string &numeric, std::string &why) {
    size_t at = 0;
    while (item && at < numeric.size()) {
        unsigned group = 0, element = 0;
        if (std::sscanf(numeric.c_str() + at, "(%4x,%4x)", &group, &element) != 2) return true;  // DCMTK judges the rest
        const size_t close = numeric.find(')', at);
        if (close == std::string::npos || close + 1 >= numeric.size() || numeric[close + 1] != '[') return true;  // a leaf
        DcmElement *found = nullptr;
        if (item->findAndGetElement(DcmTagKey(static_cast<Uint16>(group), static_cast<Uint16>(element)), found, OFFalse).bad() || !found)
            return true;  // absent: nothing further to step into
        if (found->ident() != EVR_SQ) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "(%04X,%04X) is not a sequence (VR %s)", group, element, DcmVR(found->ident()).getVRName());
            why = buf;
            return false;
        }
        const size_t index = std::strtoul(numeric.c_str() + close + 2, nullptr, 10);
        auto *sequence = static_cast<DcmSequenceOfItems *>(found);
        item = index < sequence->card() ? sequence->getItem(static_cast<unsigned long>(index)) : nullptr;
        const size_t dot = numeric.find('.', close);
        if (dot == std::string::npos) return true;
        at = dot + 1;
    }
    return true;
}

/// Finds the objects a tag path names; `create` makes missing sequences, items and elements.
OFCondition resolve(DcmDataset *d, const char *path, bool create, OFList<DcmPath *> &results,
                    DcmPathProcessor &proc) {
    proc.checkPrivateReservations(OFFalse);
    std::string why;
    const std::string numeric = numericPath(path, why);
    if (numeric.empty()) return makeOFCondition(0, 1, OF_error, why.c_str());
    if (!pathStepsIntoSequences(d, numeric, why)) return makeOFCondition(0, 1, OF_error, why.c_str());
    OFCondition cond = proc.findOrCreatePath(d, numeric.c_str(), create ? OFTrue : OFFalse);
    if (cond.good()) proc.getResults(results);
    return cond;
}

DcmElement *firstLeaf(DcmDataset *d, const char *path, DcmPathProcessor &proc) {
    OFList<DcmPath *> results;
    if (resolve(d, path, false, results, proc).bad() || results.empty()) return nullptr;
    DcmObject *obj = results.front()->back()->m_obj;
    if (!obj || !obj->isLeaf()) return nullptr;
    return static_cast<DcmElement *>(obj);
}

/// Refuses, before DCMTK parses it, a stream that would overflow its recursive parser (sequences nested
/// too deep) or make it allocate far more than the input holds: a deflated dataset inflating beyond the
/// cap, or a value declaring more bytes than there are. DCMTK allocates a value at its declared length
/// before reading it whenever it cannot read it lazily from the file (memory buffers, deflated files):
/// 250 bytes declaring a 3 GB value cost 3 GB (tag-writer fuzzer).
int refuseUnsafeStructure(const uint8_t *data, size_t size, const char *noun, char *err, size_t errlen) {
    const dcb::StructureCheck check = dcb::checkStructure(data, size, dcb::maxSequenceDepth);
    if (check.depth > dcb::maxSequenceDepth)
        return fail(err, errlen, DCB_ERR_TOO_LARGE, "sequences nest deeper than " + std::to_string(dcb::maxSequenceDepth) + " levels");
    if (check.inflatesTooLarge)
        return fail(err, errlen, DCB_ERR_TOO_LARGE, "the deflated dataset inflates to more than " +
                                                        std::to_string(dcb::maxInflatedBytes >> 20) + " MiB");
    if (check.implicitUnderExplicitSyntax)
        return fail(err, errlen, DCB_ERR_NOT_DICOM, "the Transfer Syntax UID says explicit VR, but the data set is "
                                                    "encoded implicit VR (the writer's error): it cannot be read reliably");
    if (check.overrun) {
        if (size >= 132 && std::memcmp(data + 128, "DICM", 4) == 0)
            return fail(err, errlen, DCB_ERR_TRUNCATED, std::string("truncated: the ") + noun +
                                                            " ends inside an attribute (declared length exceeds the data)");
        return fail(err, errlen, DCB_ERR_NOT_DICOM, "not a readable DICOM file (a declared length exceeds the data)");
    }
    return DCB_OK;
}

}  // namespace

extern "C" int dcb_dataset_load(const char *path, dcb_dataset **out, char *err, size_t errlen) {
    dcb::ensureInitialised();
    if (!path || !out) return fail(err, errlen, DCB_ERR_INVALID, "no path given");
    struct stat st;
    if (stat(path, &st) != 0) return fail(err, errlen, DCB_ERR_IO, std::strerror(errno));
    if (S_ISDIR(st.st_mode)) return fail(err, errlen, DCB_ERR_IO, "is a directory");
    // Opening first: an unreadable file says why (permission) before an empty one is called not DICOM.
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail(err, errlen, DCB_ERR_IO, std::strerror(errno));
    if (st.st_size == 0) { close(fd); return fail(err, errlen, DCB_ERR_NOT_DICOM, "empty file"); }
    {
        // The structure is checked on the mapped file before DCMTK's recursive parser reads it.
        void *map = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (map == MAP_FAILED) return fail(err, errlen, DCB_ERR_IO, std::strerror(errno));
        const int status = refuseUnsafeStructure(static_cast<const uint8_t *>(map), static_cast<size_t>(st.st_size), "file", err, errlen);
        munmap(map, static_cast<size_t>(st.st_size));
        if (status != DCB_OK) return status;
    }

    auto *ds = new (std::nothrow) dcb_dataset();
    if (!ds) return fail(err, errlen, DCB_ERR_IO, "out of memory");
    OFCondition cond = ds->file.loadFile(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect);
    return finishLoad(ds, cond, out, err, errlen);
}

extern "C" int dcb_dataset_load_memory(const uint8_t *data, size_t length, dcb_dataset **out, char *err,
                                       size_t errlen) {
    dcb::ensureInitialised();
    if (!data || !out) return fail(err, errlen, DCB_ERR_INVALID, "no data given");
    if (length == 0) return fail(err, errlen, DCB_ERR_NOT_DICOM, "empty input");
    const int status = refuseUnsafeStructure(data, length, "data", err, errlen);
    if (status != DCB_OK) return status;
    auto *ds = new (std::nothrow) dcb_dataset();
    if (!ds) return fail(err, errlen, DCB_ERR_IO, "out of memory");
    DcmInputBufferStream stream;
    stream.setBuffer(data, static_cast<offile_off_t>(length));
    stream.setEos();
    ds->file.transferInit();
    OFCondition cond = ds->file.read(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
    ds->file.transferEnd();
    // A buffer stream cannot be re-opened later, so every value must be in memory now.
    if (cond.good()) cond = ds->file.loadAllDataIntoMemory();
    return finishLoad(ds, cond, out, err, errlen);
}

extern "C" dcb_dataset *dcb_dataset_new(void) {
    dcb::ensureInitialised();
    return new (std::nothrow) dcb_dataset();
}

extern "C" void dcb_dataset_free(dcb_dataset *ds) { delete ds; }

extern "C" int dcb_transfer_syntax(const dcb_dataset *ds, char *buf, size_t buflen) {
    auto *d = const_cast<dcb_dataset *>(ds)->file.getDataset();
    E_TransferSyntax xfer = d->getOriginalXfer();
    if (xfer == EXS_Unknown) return dcb::copyOut("", buf, buflen);
    return dcb::copyOut(DcmXfer(xfer).getXferID(), buf, buflen);
}

extern "C" int dcb_has_meta_header(const dcb_dataset *ds) {
    auto *meta = const_cast<dcb_dataset *>(ds)->file.getMetaInfo();
    return meta && meta->card() > 0 ? 1 : 0;
}

/// A text attribute stored with VR UN (an explicit-VR writer that did not know it, e.g. Modality as UN):
/// its bytes are the text the dictionary's VR says they are, not a hex dump (DCMTK shows 43\52 for "CR").
static bool unknownVRText(DcmElement *elem, OFString &value) {
    if (elem->ident() != EVR_UN) return false;
    const DcmVR dictionaryVR = DcmTag(elem->getTag().getGroup(), elem->getTag().getElement()).getVR();
    if (!dictionaryVR.isaString() || dictionaryVR.getEVR() == EVR_UN) return false;
    Uint8 *bytes = nullptr;
    if (elem->getUint8Array(bytes).bad()) return false;
    std::string text(bytes ? reinterpret_cast<const char *>(bytes) : "", bytes ? elem->getLength() : 0);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
    value = OFString(text.c_str(), text.size());
    return true;
}

extern "C" int dcb_get_string(const dcb_dataset *ds, const char *path, char *buf, size_t buflen, size_t *needed) {
    DcmPathProcessor proc;
    auto &file = const_cast<dcb_dataset *>(ds)->file;
    DcmElement *elem = firstLeaf(file.getDataset(), path, proc);
    // File meta information (group 0002) lives beside the dataset.
    DcmTag metaTag;
    if (!elem && file.getMetaInfo() && DcmTag::findTagFromName(path, metaTag).good() && metaTag.getGroup() == 0x0002)
        file.getMetaInfo()->findAndGetElement(metaTag, elem);
    if (!elem) return DCB_ERR_NOT_FOUND;
    OFString value;
    if (!unknownVRText(elem, value) && elem->getOFStringArray(value).bad()) return DCB_ERR_NOT_FOUND;
    const std::string text = dcb::textAsUTF8(file.getDataset(), elem, std::string(value.c_str(), value.size()));
    if (needed) *needed = text.size() + 1;
    return dcb::copyOut(text, buf, buflen);
}

extern "C" int dcb_get_number(const dcb_dataset *ds, const char *path, unsigned long index, double *out) {
    DcmPathProcessor proc;
    DcmElement *elem = firstLeaf(const_cast<dcb_dataset *>(ds)->file.getDataset(), path, proc);
    if (!elem || !out || index >= elem->getVM()) return DCB_ERR_NOT_FOUND;
    switch (elem->ident()) {
        case EVR_US: { Uint16 v; if (elem->getUint16(v, index).bad()) return DCB_ERR_INVALID; *out = v; return DCB_OK; }
        case EVR_SS: { Sint16 v; if (elem->getSint16(v, index).bad()) return DCB_ERR_INVALID; *out = v; return DCB_OK; }
        case EVR_UL: { Uint32 v; if (elem->getUint32(v, index).bad()) return DCB_ERR_INVALID; *out = v; return DCB_OK; }
        case EVR_SL: { Sint32 v; if (elem->getSint32(v, index).bad()) return DCB_ERR_INVALID; *out = v; return DCB_OK; }
        case EVR_FL: { Float32 v; if (elem->getFloat32(v, index).bad()) return DCB_ERR_INVALID; *out = v; return DCB_OK; }
        case EVR_FD: { Float64 v; if (elem->getFloat64(v, index).bad()) return DCB_ERR_INVALID; *out = v; return DCB_OK; }
        default: {
            // DS, IS and anything else stored as text: parse the value itself, so that a fractional
            // Rescale Slope keeps its full precision.
            OFString text;
            if (elem->getOFString(text, index).bad()) return DCB_ERR_INVALID;
            const char *s = text.c_str();
            char *end = nullptr;
            errno = 0;
            double v = std::strtod(s, &end);
            if (end == s || errno == ERANGE) return DCB_ERR_INVALID;
            while (*end == ' ') ++end;
            if (*end != '\0') return DCB_ERR_INVALID;
            *out = v;
            return DCB_OK;
        }
    }
}

extern "C" int dcb_get_uint16_array(const dcb_dataset *ds, const char *path, uint16_t *buf, size_t count,
                                    size_t *available) {
    DcmPathProcessor proc;
    DcmElement *elem = firstLeaf(const_cast<dcb_dataset *>(ds)->file.getDataset(), path, proc);
    if (!elem) return DCB_ERR_NOT_FOUND;
    Uint16 *words = nullptr;
    size_t n = 0;
    if (elem->ident() == EVR_OB) {
        // Some writers put 16-bit LUT Data into OB; read it as little-endian words.
        Uint8 *bytes = nullptr;
        if (elem->getUint8Array(bytes).bad() || !bytes) return DCB_ERR_INVALID;
        n = elem->getLength() / 2;
        if (available) *available = n;
        if (!buf) return DCB_OK;
        for (size_t i = 0; i < std::min(n, count); ++i)
            buf[i] = static_cast<uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
        return DCB_OK;
    }
    if (elem->getUint16Array(words).bad() || !words) return DCB_ERR_INVALID;
    n = elem->getLength() / 2;
    if (available) *available = n;
    if (buf) std::memcpy(buf, words, std::min(n, count) * sizeof(uint16_t));
    return DCB_OK;
}

extern "C" unsigned long dcb_sequence_count(const dcb_dataset *ds, const char *path) {
    DcmPathProcessor proc;
    OFList<DcmPath *> results;
    if (resolve(const_cast<dcb_dataset *>(ds)->file.getDataset(), path, false, results, proc).bad() ||
        results.empty())
        return 0;
    DcmObject *obj = results.front()->back()->m_obj;
    if (!obj || obj->ident() != EVR_SQ) return 0;
    return static_cast<DcmSequenceOfItems *>(obj)->card();
}

static int put_string(dcb_dataset *ds, const char *path, const char *value, bool check, char *err, size_t errlen);

extern "C" int dcb_put_string(dcb_dataset *ds, const char *path, const char *value, char *err, size_t errlen) {
    return put_string(ds, path, value, true, err, errlen);
}

extern "C" int dcb_put_string_as_is(dcb_dataset *ds, const char *path, const char *value, char *err, size_t errlen) {
    return put_string(ds, path, value, false, err, errlen);
}

/// What the dictionary and the VR allow that DCMTK's checkValue does not check: the attribute's value
/// multiplicity and each value's maximum length (characters of UTF-8 text, per PN component group). Empty when
/// the value fits.
static std::string dictionaryProblem(DcmElement *elem) {
    const DcmVR vr(elem->getVR());
    const unsigned long vm = elem->getVM();
    const DcmDataDictionary &dict = dcmDataDict.rdlock();
    const DcmDictEntry *entry = dict.findEntry(elem->getTag(), nullptr);
    const int vmMin = entry ? entry->getVMMin() : 1, vmMax = entry ? entry->getVMMax() : DcmVariableVM;
    dcmDataDict.rdunlock();
    if (vm > 0 && (vm < unsigned(std::max(vmMin, 1)) || (vmMax != DcmVariableVM && vm > unsigned(vmMax))))
        return std::to_string(vm) + " values (separated by \\), the attribute takes " +
               (vmMin == vmMax ? std::to_string(vmMin) : std::to_string(vmMin) + " to " + (vmMax == DcmVariableVM ? "n" : std::to_string(vmMax)));
    if (!vr.isaString() || vr.getMaxValueLength() == 0 || vr.getMaxValueLength() >= 0xFFFFFFFEu) return "";
    OFString all;
    if (elem->getOFStringArray(all).bad()) return "";
    const bool multiValued = !(vr.getEVR() == EVR_ST || vr.getEVR() == EVR_LT || vr.getEVR() == EVR_UT);
    auto length = [&](const std::string &v) {
        if (!vr.isLengthInChar()) return v.size();
        size_t n = 0;
        for (unsigned char c : v) n += (c & 0xC0) != 0x80;  // UTF-8 code points
        return n;
    };
    auto split = [](const std::string &text, char separator) {
        std::vector<std::string> parts(1);
        for (char c : text) { if (c == separator) parts.emplace_back(); else parts.back() += c; }
        return parts;
    };
    const std::string text(all.c_str(), all.length());
    for (const std::string &v : multiValued ? split(text, '\\') : std::vector<std::string>{text}) {
        // PN's limit holds per component group (alphabetic=ideographic=phonetic).
        for (const std::string &g : vr.getEVR() == EVR_PN ? split(v, '=') : std::vector<std::string>{v})
            if (length(g) > vr.getMaxValueLength())
                return "a value of " + std::to_string(length(g)) + " characters, more than the " +
                       std::to_string(vr.getMaxValueLength()) + " " + vr.getVRName() + " allows";
    }
    return "";
}

static int put_string(dcb_dataset *ds, const char *path, const char *value, bool check, char *err, size_t errlen) {
    if (!path || !value) return fail(err, errlen, DCB_ERR_INVALID, "no path or value");
    DcmPathProcessor proc;
    OFList<DcmPath *> results;
    OFCondition cond = resolve(ds->file.getDataset(), path, true, results, proc);
    if (cond.bad() || results.empty())
        return fail(err, errlen, DCB_ERR_INVALID, std::string(path) + ": " + cond.text());
    for (DcmPath *p : results) {
        DcmObject *obj = p->back()->m_obj;
        if (!obj || !obj->isLeaf())
            return fail(err, errlen, DCB_ERR_INVALID, std::string(path) + ": not an attribute that holds a value");
        auto *elem = static_cast<DcmElement *>(obj);
        std::string problem;
        if (dcb::prepareForText(ds->file.getDataset(), elem, value, problem) != DCB_OK)
            return fail(err, errlen, DCB_ERR_INVALID, std::string(path) + ": " + problem);
        // The value stays out of the message: it may be patient data (a name, an ID) and errors are printed.
        cond = elem->putString(value);
        if (cond.good() && check) cond = elem->checkValue("1-n");
        if (cond.good() && check) {
            const std::string problem = dictionaryProblem(elem);
            if (!problem.empty()) return fail(err, errlen, DCB_ERR_INVALID, std::string(path) + ": " + problem);
        }
        if (cond.bad())
            return fail(err, errlen, DCB_ERR_INVALID,
                        std::string(path) + ": invalid value of " + std::to_string(std::strlen(value)) +
                            " characters (" + cond.text() + ")");
    }
    return DCB_OK;
}

extern "C" long dcb_replace_uid(dcb_dataset *ds, const char *old_uid, const char *new_uid) {
    if (!ds || !old_uid || !new_uid) return 0;
    long replaced = 0;
    DcmStack stack;
    DcmDataset *dataset = ds->file.getDataset();
    while (dataset->nextObject(stack, OFTrue).good()) {
        DcmObject *object = stack.top();
        if (object->ident() != EVR_UI) continue;
        auto *element = static_cast<DcmElement *>(object);
        OFString value;
        if (element->getOFStringArray(value).good() && value == old_uid && element->putString(new_uid).good()) ++replaced;
    }
    return replaced;
}

extern "C" int dcb_put_empty(dcb_dataset *ds, const char *path, char *err, size_t errlen) {
    DcmPathProcessor proc;
    OFList<DcmPath *> results;
    OFCondition cond = resolve(ds->file.getDataset(), path, true, results, proc);
    if (cond.bad()) return fail(err, errlen, DCB_ERR_INVALID, std::string(path) + ": " + cond.text());
    return DCB_OK;
}

extern "C" int dcb_delete(dcb_dataset *ds, const char *path) {
    DcmPathProcessor proc;
    proc.checkPrivateReservations(OFFalse);
    Uint32 deleted = 0;
    std::string why;
    const std::string numeric = numericPath(path, why);
    if (!numeric.empty()) proc.findOrDeletePath(ds->file.getDataset(), numeric.c_str(), deleted);
    return DCB_OK;
}

extern "C" int dcb_copy_element(dcb_dataset *dst, const char *dst_item_path, const dcb_dataset *src,
                                uint16_t group, uint16_t element, char *err, size_t errlen) {
    DcmElement *from = nullptr;
    DcmDataset *srcSet = const_cast<dcb_dataset *>(src)->file.getDataset();
    if (srcSet->findAndGetElement(DcmTagKey(group, element), from).bad() || !from) return DCB_ERR_NOT_FOUND;
    DcmItem *target = dst->file.getDataset();
    if (dst_item_path && *dst_item_path) {
        DcmPathProcessor proc;
        OFList<DcmPath *> results;
        OFCondition cond = resolve(dst->file.getDataset(), dst_item_path, true, results, proc);
        if (cond.bad() || results.empty())
            return fail(err, errlen, DCB_ERR_INVALID, std::string(dst_item_path) + ": " + cond.text());
        DcmObject *obj = results.front()->back()->m_obj;
        if (!obj || obj->ident() != EVR_item)
            return fail(err, errlen, DCB_ERR_INVALID, std::string(dst_item_path) + ": not a sequence item");
        target = static_cast<DcmItem *>(obj);
    }
    auto *copy = static_cast<DcmElement *>(from->clone());
    if (!copy) return fail(err, errlen, DCB_ERR_IO, "out of memory");
    OFCondition cond = target->insert(copy, OFTrue /* replace */);
    if (cond.bad()) {
        delete copy;
        return fail(err, errlen, DCB_ERR_INVALID, cond.text());
    }
    return DCB_OK;
}

extern "C" int dcb_put_uint8_array(dcb_dataset *ds, uint16_t group, uint16_t element, const uint8_t *data,
                                   size_t length) {
    OFCondition cond = ds->file.getDataset()->putAndInsertUint8Array(DcmTag(group, element, EVR_OB), data,
                                                                      static_cast<unsigned long>(length));
    return cond.good() ? DCB_OK : DCB_ERR_INVALID;
}

extern "C" int dcb_put_uint16_array(dcb_dataset *ds, uint16_t group, uint16_t element, const uint16_t *data,
                                    size_t count) {
    OFCondition cond = ds->file.getDataset()->putAndInsertUint16Array(DcmTag(group, element, EVR_OW), data,
                                                                       static_cast<unsigned long>(count));
    return cond.good() ? DCB_OK : DCB_ERR_INVALID;
}

/// True when the source wrote (some of) its sequences with undefined length: a rewrite that keeps the
/// transfer syntax then keeps that encoding too, so untouched attributes stay byte-identical.
static bool uses_undefined_length_sequences(DcmDataset *dataset) {
    DcmStack stack;
    while (dataset->nextObject(stack, OFTrue).good()) {
        DcmObject *object = stack.top();
        if (object->ident() == EVR_SQ && object->getLengthField() == DCM_UndefinedLength) return true;
    }
    return false;
}

extern "C" int dcb_save(dcb_dataset *ds, const char *path, int keep_transfer_syntax, const char *implementation_class_uid,
                        const char *implementation_version_name, char *err, size_t errlen) {
    OFCondition cond;
    errno = 0;
    E_TransferSyntax xfer = EXS_LittleEndianExplicit;
    E_EncodingType encoding = EET_ExplicitLength;
    if (keep_transfer_syntax) {
        // Like dcmodify: everything in memory first, and the original encoding (compressed pixel data
        // included, sequence length encoding) written back unchanged. A copy keeps the rest of its source's
        // meta header (Source AE title, private information); DCMTK fills only what is missing.
        cond = ds->file.loadAllDataIntoMemory();
        if (cond.bad()) return fail(err, errlen, DCB_ERR_IO, std::string("reading source: ") + cond.text());
        xfer = ds->file.getDataset()->getOriginalXfer();
        if (xfer == EXS_Unknown) xfer = EXS_LittleEndianExplicit;
        encoding = uses_undefined_length_sequences(ds->file.getDataset()) ? EET_UndefinedLength : EET_ExplicitLength;
        cond = ds->file.validateMetaInfo(xfer, EWM_fileformat);
    } else {
        // A new object gets a new meta header (nothing of a source's).
        cond = ds->file.validateMetaInfo(xfer, EWM_createNewMeta);
    }
    if (cond.bad()) return fail(err, errlen, DCB_ERR_IO, std::string("meta header: ") + cond.text());
    // Whatever we write names us as its writer. DCMTK would put its own identity back on any meta update, so
    // the header is final here: our two values, the group length recomputed, and no further update on save.
    DcmMetaInfo *meta = ds->file.getMetaInfo();
    meta->putAndInsertString(DCM_ImplementationClassUID, implementation_class_uid);
    meta->putAndInsertString(DCM_ImplementationVersionName, implementation_version_name);
    cond = meta->computeGroupLengthAndPadding(EGL_withGL, EPD_noChange, META_HEADER_DEFAULT_TRANSFERSYNTAX, EET_ExplicitLength);
    if (cond.bad()) return fail(err, errlen, DCB_ERR_IO, std::string("meta header length: ") + cond.text());
    cond = ds->file.saveFile(path, keep_transfer_syntax ? EXS_Unknown : xfer, encoding, EGL_recalcGL, EPD_noChange,
                             0, 0, EWM_dontUpdateMeta);
    if (cond.bad()) {
        // DCMTK reports a failed write as a stream error; the OS says why (a full disk, a quota).
        const int saved = errno;
        std::string reason = cond.text();
        if (saved == ENOSPC || saved == EDQUOT || saved == EFBIG || saved == EIO || saved == EROFS)
            reason = std::strerror(saved);
        return fail(err, errlen, DCB_ERR_IO, std::string("writing ") + path + ": " + reason);
    }
    return DCB_OK;
}
