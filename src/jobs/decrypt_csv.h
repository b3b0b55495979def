// Re-identification of an encrypted batch output (`strm decrypt`): with the keys output of
// the same run, every PII field of the contract is decrypted with the key of its row's
// strmMeta.keyLink. Columns stay as they are. For authorised users only: whoever holds both
// files sees the personal data.
#pragma once

#include <string_view>

#include "core/stream.h"
#include "privacy/contract.h"

namespace strm {

// `keys_csv` is a keys output (keyLink,encryptionKey,policyId,expiresAt). Errors name the
// row: a keyLink missing from the keys file, a ciphertext that does not decrypt.
Status DecryptCsv(InputStream& encrypted, std::string_view keys_csv, const DataContract& contract,
                  std::string_view source_name, OutputStream& out);

}  // namespace strm
