using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace ClaudeCache.Keys;

/// <summary>
/// The tenant partition folded into every cache key, so one credential's cached answers are never served to
/// another. Only a keyed hash of the credential exists: the credential itself is never stored or logged.
/// </summary>
public static class TenantPartition
{
    /// <summary>The partition of requests that carry no credential.</summary>
    public const string Anonymous = "anonymous";

    /// <summary>The prefix of shared partitions; a per-credential partition is plain hex and never has it.</summary>
    public const string SharedPrefix = "shared:";

    // Domain separation: the same secret hashed for another purpose gives an unrelated value.
    private static ReadOnlySpan<byte> Domain => "claudecache-tenant-v1"u8;

    private const int HexChars = 32;

    // One HMAC per thread, keyed by the (public) domain constant and reset after every use. The one-shot
    // HMACSHA256.HashData sets up a new OpenSSL MAC context on every call, which under concurrent hits cost a
    // large share of the request front (docs/benchmarks.md). The credential never stays in it: GetHashAndReset.
    [ThreadStatic]
    private static IncrementalHash? t_hmac;
    private const int StackLimit = 512;

    /// <summary>
    /// The partition for a request: in <see cref="TenantMode.PerCredential"/> mode, 32 hex characters of an
    /// HMAC-SHA-256 of the <c>x-api-key</c> value, else of the bearer token (else of the whole
    /// <c>Authorization</c> value), or <see cref="Anonymous"/>; in <see cref="TenantMode.Shared"/> mode,
    /// <c>shared:{SharedPartitionName}</c>.
    /// </summary>
    public static string Compute(string? apiKey, string? authorizationHeader, TenantOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Mode == TenantMode.Shared)
        {
            return SharedPrefix + options.SharedPartitionName;
        }

        var credential = SelectCredential(apiKey, authorizationHeader);
        return credential.IsEmpty ? Anonymous : Hash(credential);
    }

    private static ReadOnlySpan<char> SelectCredential(string? apiKey, string? authorizationHeader)
    {
        var key = apiKey.AsSpan().Trim();
        if (!key.IsEmpty)
        {
            return key;
        }

        var authorization = authorizationHeader.AsSpan().Trim();
        const string Bearer = "Bearer";
        if (authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase)
            && (authorization.Length == Bearer.Length || authorization[Bearer.Length] == ' '))
        {
            // The same token sent as x-api-key or as a bearer token is the same tenant; "Bearer" alone is none.
            return authorization[Bearer.Length..].Trim();
        }

        // Another scheme: the whole value identifies the caller.
        return authorization;
    }

    private static string Hash(ReadOnlySpan<char> credential)
    {
        var length = Encoding.UTF8.GetByteCount(credential);
        byte[]? rented = null;
        var bytes = length <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(length));
        bytes = bytes[..length];
        try
        {
            Encoding.UTF8.GetBytes(credential, bytes);
            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            var hmac = t_hmac ??= IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Domain);
            hmac.AppendData(bytes);
            hmac.GetHashAndReset(mac);
            return Convert.ToHexStringLower(mac[..(HexChars / 2)]);
        }
        finally
        {
            // Leave no copy of the secret behind in pooled or stack memory.
            CryptographicOperations.ZeroMemory(bytes);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
