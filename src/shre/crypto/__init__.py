"""Field encryption: envelope encryption with AES-256-GCM, master-key rotation, blind
indexes, and import of values encrypted by the seed system (crypto-js / OpenSSL).

    keyring = Keyring.from_settings(settings)        # master keys (primary + retired)
    dek = DataKey.generate()                          # one per employee
    wrapped = wrap_data_key(keyring, dek, employee_id)  # stored with the employee
    box = FieldBox(unwrap_data_key(keyring, wrapped, employee_id))
    token = box.encrypt("123-45-6789", FieldContext("employees", "ssn", employee_id))
"""

from shre.crypto.blind_index import BlindIndexer, normalise_national_id, sha256_hex
from shre.crypto.envelope import (
    DataKey,
    FieldBox,
    FieldContext,
    rewrap_data_key,
    unwrap_data_key,
    wrap_data_key,
    wrapping_key_id,
)
from shre.crypto.errors import (
    CryptoError,
    DecryptionFailed,
    MalformedCiphertext,
    UnknownKeyId,
)
from shre.crypto.keyring import Keyring, MasterKey, generate_key

__all__ = [
    "BlindIndexer",
    "CryptoError",
    "DataKey",
    "DecryptionFailed",
    "FieldBox",
    "FieldContext",
    "Keyring",
    "MalformedCiphertext",
    "MasterKey",
    "UnknownKeyId",
    "generate_key",
    "normalise_national_id",
    "rewrap_data_key",
    "sha256_hex",
    "unwrap_data_key",
    "wrap_data_key",
    "wrapping_key_id",
]
