using System.Security.Cryptography;

namespace ClaudeCache.Testing;

/// <summary>Ids shaped like the real API's.</summary>
public static class FakeIds
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary><c>req_011C</c> + 20 base62 characters.</summary>
    public static string NewRequestId() => "req_011C" + RandomNumberGenerator.GetString(Base62, 20);

    /// <summary><c>msg_01</c> + 22 base62 characters.</summary>
    public static string NewMessageId() => "msg_01" + RandomNumberGenerator.GetString(Base62, 22);

    /// <summary><c>toolu_01</c> + 22 base62 characters.</summary>
    public static string NewToolUseId() => "toolu_01" + RandomNumberGenerator.GetString(Base62, 22);
}
