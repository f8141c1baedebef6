// C-STORE through DCMTK's DcmStorageSCU, the class behind dcmsend: files in, one result per file out.
#include "BridgeInternal.hpp"

#include "dcmtk/dcmnet/dstorscu.h"

#include <cstring>
#include <map>
#include <string>

using dcb::fail;

namespace {

/// Records what the peer answered for each file.
class RecordingStorageSCU : public DcmStorageSCU {
public:
    std::map<std::string, std::pair<bool, Uint16>> answers;  // by file name: request sent, response status

protected:
    void notifySOPInstanceSent(const TransferEntry &entry) override {
        answers[entry.Filename.getCharPointer() ? entry.Filename.getCharPointer() : ""] = {entry.RequestSent != OFFalse,
                                                                                          entry.ResponseStatusCode};
    }
};

void setMessage(dcb_send_result &r, const std::string &message) {
    std::snprintf(r.message, sizeof r.message, "%s", message.c_str());
}

/// Success, or one of the warning statuses PS3.4 B.2.3 lists (coercion, elements discarded, ...).
bool isStored(Uint16 status) { return status == 0x0000 || (status & 0xF000) == 0xB000; }

std::string hex(Uint16 status) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04X", status);
    return buf;
}

}  // namespace

extern "C" int dcb_send_files(const char *host, uint16_t port, const char *called_aet, const char *calling_aet,
                              uint32_t timeout_seconds, const char *const *paths, size_t count,
                              dcb_send_result *results, char *err, size_t errlen) {
    dcb::ensureInitialised();
    if (!host || !called_aet || !calling_aet || (count > 0 && (!paths || !results)))
        return fail(err, errlen, DCB_ERR_INVALID, "no peer or files given");
    for (size_t i = 0; i < count; ++i) {
        results[i] = dcb_send_result{};
        setMessage(results[i], "not sent");
    }
    RecordingStorageSCU scu;
    scu.setHaltOnUnsuccessfulStoreMode(OFFalse);  // one refused object must not stop the others
    scu.setDatasetConversionMode(OFFalse);        // never decompress or transcode: send what we wrote
    bool anyAdded = false;
    for (size_t i = 0; i < count; ++i) {
        OFCondition added = scu.addDicomFile(OFFilename(paths[i]), ERM_fileOnly, OFFalse);
        if (added.bad()) setMessage(results[i], std::string("not sendable: ") + added.text());
        else anyAdded = true;
    }
    if (!anyAdded) return count == 0 ? DCB_OK : fail(err, errlen, DCB_ERR_INVALID, "no file could be sent");

    scu.setPeerHostName(host);
    scu.setPeerPort(port);
    scu.setPeerAETitle(called_aet);
    scu.setAETitle(calling_aet);
    scu.setACSETimeout(timeout_seconds);
    scu.setDIMSETimeout(timeout_seconds);
    scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
    scu.setConnectionTimeout(static_cast<Sint32>(timeout_seconds));

    const std::string peer = std::string(called_aet) + "@" + host + ":" + std::to_string(port);
    std::string networkError;
    OFCondition status;
    // One association per group of presentation contexts (at most 128 each), as dcmsend does.
    while ((status = scu.addPresentationContexts()).good()) {
        status = scu.initNetwork();
        if (status.good()) status = scu.negotiateAssociation();
        if (status.bad()) {
            if (status == NET_EC_NoAcceptablePresentationContexts) {
                scu.releaseAssociation();
                continue;  // this group's SOP classes are refused; their files keep "not sent"
            }
            networkError = std::string("cannot associate with ") + peer + ": " + status.text();
            break;
        }
        status = scu.sendSOPInstances();
        if (status.bad()) {
            networkError = std::string("sending to ") + peer + " failed: " + status.text();
            if (status == DUL_PEERABORTEDASSOCIATION) scu.closeAssociation(DCMSCU_PEER_ABORTED_ASSOCIATION);
            else if (status == DUL_PEERREQUESTEDRELEASE) scu.closeAssociation(DCMSCU_PEER_REQUESTED_RELEASE);
            else scu.releaseAssociation();
            break;
        }
        scu.releaseAssociation();
    }

    bool allStored = true;
    for (size_t i = 0; i < count; ++i) {
        auto answer = scu.answers.find(paths[i]);
        if (answer == scu.answers.end()) {
            if (std::strncmp(results[i].message, "not sendable", 12) != 0)
                setMessage(results[i], networkError.empty() ? "not sent: the peer accepted no presentation context for it" : "not sent: " + networkError);
            allStored = false;
            continue;
        }
        const Uint16 code = answer->second.second;
        results[i].dimse_status = code;
        if (answer->second.first && isStored(code)) {
            results[i].sent = 1;
            setMessage(results[i], code == 0 ? "" : "stored with warning status " + hex(code));
        } else {
            allStored = false;
            setMessage(results[i], answer->second.first ? "refused by " + peer + " (status " + hex(code) + ")"
                                                        : "not sent: " + (networkError.empty() ? std::string("request failed") : networkError));
        }
    }
    if (!networkError.empty()) return fail(err, errlen, DCB_ERR_IO, networkError);
    if (!allStored) return fail(err, errlen, DCB_ERR_INVALID, "some files were not stored by " + peer);
    return DCB_OK;
}
