using System.Security.Cryptography;
using ClaudeCache.Storage.Redis;

namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>Options, keys and payloads for tests against real servers.</summary>
internal static class TestRedis
{
    /// <summary>Options on <paramref name="configuration"/> with a prefix of their own, so tests never see each other's keys.</summary>
    public static RedisStoreOptions Options(string configuration, Action<RedisStoreOptions>? configure = null)
    {
        var options = new RedisStoreOptions
        {
            Configuration = configuration,
            KeyPrefix = $"t{Guid.NewGuid():N}"[..9] + ":",
            // Generous for a shared CI machine; the fail-open tests set the production default explicitly.
            OperationTimeout = TimeSpan.FromSeconds(2),
        };
        configure?.Invoke(options);
        return options;
    }

    public static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static byte[] Payload(int size, byte seed = 1)
    {
        var payload = new byte[size];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)(seed + (i * 31));
        }

        return payload;
    }

    /// <summary>Retries <paramref name="operation"/> until it stops throwing, for at most <paramref name="timeout"/>.</summary>
    public static async Task EventuallyAsync(Func<Task> operation, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await operation();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
