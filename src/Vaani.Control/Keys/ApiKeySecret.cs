using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Vaani.Control.Domain;

namespace Vaani.Control.Keys;

/// <summary>
/// API key secrets: <c>vaani_&lt;key id&gt;_&lt;32 random bytes in base62&gt;</c>, e.g.
/// <c>vaani_vk_3f9a0c1d2e4b5a69_4ZrK…</c>. The key id part is not secret and locates the stored
/// hash; the random part carries 256 bits of entropy.
/// </summary>
/// <remarks>
/// Stored form: SHA-256(salt || secret) with a 16-byte random salt per key. A pepper (HMAC with a
/// server secret) would add nothing against guessing — 256 random bits cannot be brute-forced —
/// and would have to be distributed to every gateway that verifies keys from its snapshot, turning
/// every snapshot holder into a holder of a master secret. A slow hash (bcrypt, Argon2) is not
/// needed for high-entropy secrets and would put milliseconds of CPU on session admission.
/// </remarks>
public static class ApiKeySecret
{
    public const string Prefix = "vaani_";
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Length of the base62 form of 32 bytes (62^43 &gt; 2^256).</summary>
    public const int RandomPartLength = 43;

    /// <summary>Makes a new secret for <paramref name="id"/>.</summary>
    public static string Generate(ApiKeyId id)
    {
        Span<byte> random = stackalloc byte[32];
        RandomNumberGenerator.Fill(random);
        return Prefix + id.Value + "_" + ToBase62(random);
    }

    /// <summary>Splits a presented secret into its key id; false when it is not shaped like a secret.</summary>
    public static bool TryParse(string? secret, out ApiKeyId id)
    {
        id = default;
        if (secret is null || !secret.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var lastUnderscore = secret.LastIndexOf('_');
        if (lastUnderscore <= Prefix.Length) return false;
        var idPart = secret[Prefix.Length..lastUnderscore];
        var randomPart = secret.AsSpan(lastUnderscore + 1);
        if (randomPart.Length != RandomPartLength || !ApiKeyId.IsValid(idPart)) return false;
        foreach (var c in randomPart)
        {
            if (!char.IsAsciiLetterOrDigit(c)) return false;
        }

        id = new ApiKeyId(idPart);
        return true;
    }

    /// <summary>A fresh 16-byte salt.</summary>
    public static byte[] NewSalt() => RandomNumberGenerator.GetBytes(16);

    /// <summary>SHA-256(salt || UTF-8(secret)).</summary>
    public static byte[] Hash(string secret, byte[] salt)
    {
        var secretBytes = Encoding.UTF8.GetBytes(secret);
        var buffer = new byte[salt.Length + secretBytes.Length];
        salt.CopyTo(buffer, 0);
        secretBytes.CopyTo(buffer, salt.Length);
        var hash = SHA256.HashData(buffer);
        CryptographicOperations.ZeroMemory(buffer);
        return hash;
    }

    /// <summary>Constant-time check of a presented secret against a stored hash.</summary>
    public static bool Verify(string secret, byte[] salt, byte[] expectedHash)
        => CryptographicOperations.FixedTimeEquals(Hash(secret, salt), expectedHash);

    private static string ToBase62(ReadOnlySpan<byte> bytes)
    {
        var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        var chars = new char[RandomPartLength];
        for (var i = RandomPartLength - 1; i >= 0; i--)
        {
            value = BigInteger.DivRem(value, 62, out var rem);
            chars[i] = Alphabet[(int)rem];
        }

        return new string(chars);
    }
}
