using System.Security.Cryptography;

namespace ClaudeCache.Anthropic;

/// <summary>Fresh <c>request-id</c> values shaped like Anthropic's (<c>req_011C</c> + 20 base62 characters).</summary>
public static class RequestIds
{
    /// <summary>The prefix every id starts with.</summary>
    public const string Prefix = "req_011C";

    /// <summary>The number of random characters after <see cref="Prefix"/>.</summary>
    public const int RandomLength = 20;

    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>
    /// A new id. Every hit gets one, so clients that log request ids never see two responses share one;
    /// GetItems draws uniformly (no modulo bias) from the system CSPRNG with a single allocation for the string.
    /// </summary>
    public static string New() => string.Create(Prefix.Length + RandomLength, 0, static (span, _) =>
    {
        Prefix.AsSpan().CopyTo(span);
        RandomNumberGenerator.GetItems(Base62.AsSpan(), span[Prefix.Length..]);
    });
}
