// Text in and out of datasets as UTF-8: values whose VR follows Specific Character Set (0008,0005) are converted
// with DCMTK's DcmSpecificCharacterSet on reading, and a dataset given non-ASCII text is declared ISO_IR 192.
#include "BridgeInternal.hpp"

#include "dcmtk/dcmdata/dcspchrs.h"

#include <iconv.h>

namespace {

bool isASCII(const std::string &s) {
    for (unsigned char c : s)
        if (c >= 0x80 || c == 0x1B) return false;  // ESC starts an ISO 2022 code extension
    return true;
}

bool isUTF8(const std::string &s) {
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = s[i];
        const int n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0) return false;
        for (int k = 1; k <= n; ++k)
            if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n + 1;
    }
    return true;
}

/// glibc's iconv knows the Japanese ISO 2022 escapes as ISO-2022-JP-2, under a name DCMTK does not ask for.
bool convertJapaneseISO2022(const std::string &raw, std::string &utf8) {
    iconv_t cd = iconv_open("UTF-8", "ISO-2022-JP-2");
    if (cd == (iconv_t)-1) return false;
    std::string out(raw.size() * 4 + 16, '\0');
    char *in = const_cast<char *>(raw.data()), *o = out.data();
    size_t inLeft = raw.size(), outLeft = out.size();
    bool ok = iconv(cd, &in, &inLeft, &o, &outLeft) != (size_t)-1 && iconv(cd, nullptr, nullptr, &o, &outLeft) != (size_t)-1;
    iconv_close(cd);
    if (ok) utf8.assign(out.data(), out.size() - outLeft);
    return ok;
}

}  // namespace

namespace dcb {

std::string textAsUTF8(DcmItem *dataset, DcmElement *elem, const std::string &raw) {
    if (isASCII(raw) || !elem->isAffectedBySpecificCharacterSet() || !dataset) return raw;
    OFString charset;
    dataset->findAndGetOFStringArray(DCM_SpecificCharacterSet, charset);
    // No character set declared, yet bytes above ASCII (common in practice): UTF-8 if they are valid UTF-8,
    // else the Latin-1 most such files were written in.
    if (charset.empty()) charset = isUTF8(raw) ? "ISO_IR 192" : "ISO_IR 100";
    if (charset == "ISO_IR 192") return raw;
    const OFString delimiters = DcmVR(elem->getVR()).getDelimiterChars();
    DcmSpecificCharacterSet converter;
    OFString converted;
    if (converter.selectCharacterSet(charset).good() &&
        converter.convertString(raw.data(), raw.size(), converted, delimiters).good())
        return std::string(converted.c_str(), converted.length());
    std::string utf8;
    if (charset.find("ISO 2022 IR 87") != OFString_npos || charset.find("ISO 2022 IR 159") != OFString_npos) {
        if (convertJapaneseISO2022(raw, utf8)) return utf8;
    }
    // A character set nothing here converts: keep the bytes that are text in any of them (ASCII), mark the rest.
    for (unsigned char c : raw) utf8 += (c >= 0x80 || c == 0x1B) ? std::string("\xEF\xBF\xBD") : std::string(1, char(c));
    return utf8;
}

int prepareForText(DcmItem *dataset, DcmElement *elem, const char *value, std::string &problem) {
    if (!dataset || !elem->isAffectedBySpecificCharacterSet() || isASCII(value)) return DCB_OK;
    OFString charset;
    if (dataset->findAndGetOFStringArray(DCM_SpecificCharacterSet, charset).bad() || charset.empty()) {
        dataset->putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
        return DCB_OK;
    }
    if (charset == "ISO_IR 192") return DCB_OK;
    // A dataset in another character set (copied from its source): re-encode all of it as UTF-8 first.
    if (auto *d = dynamic_cast<DcmDataset *>(dataset); d && d->convertToUTF8().good()) return DCB_OK;
    problem = "cannot add non-ASCII text to a dataset in character set " + std::string(charset.c_str());
    return DCB_ERR_INVALID;
}

}  // namespace dcb
