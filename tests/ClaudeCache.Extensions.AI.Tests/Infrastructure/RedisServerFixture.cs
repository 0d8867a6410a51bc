using ClaudeCache.Testing.Redis;

namespace ClaudeCache.Extensions.AI.Tests.Infrastructure;

/// <summary>
/// One real standalone <c>redis-server</c> per test class that asks for it (<c>IClassFixture</c>), so tests without
/// Redis never start one. Tests share it safely: each uses a key prefix of its own (<see cref="NewPrefix"/>).
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private RedisServer? _server;

    public RedisServer Server => _server ?? throw new InvalidOperationException("The fixture has not started.");

    public static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..8] + ":";

    /// <summary>
    /// The proxy's keys for Redis, shared by library instances and proxies alike. <paramref name="clientName"/> names
    /// the instance's connections in <c>CLIENT LIST</c> (<see cref="ClientsAsync"/>).
    /// </summary>
    public Dictionary<string, string?> Settings(string prefix, string? clientName = null) => new()
    {
        ["ClaudeCache:Storage:Provider"] = "redis",
        ["ClaudeCache:Storage:Redis:Configuration"] = clientName is null ? Server.EndPoint : $"{Server.EndPoint},name={clientName}",
        ["ClaudeCache:Storage:Redis:KeyPrefix"] = prefix,
        // Loopback on a busy 2-core machine: allow more than the production default of 50 ms.
        ["ClaudeCache:Storage:Redis:OperationTimeout"] = "00:00:00.500",
    };

    /// <summary>The server's connections named <paramref name="clientName"/>, one <c>CLIENT LIST</c> line each.</summary>
    public async Task<IReadOnlyList<string>> ClientsAsync(string clientName)
    {
        var list = await Server.SendAsync("CLIENT", "LIST") ?? string.Empty;
        return [.. list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.Contains($" name={clientName} ", StringComparison.Ordinal))];
    }

    /// <summary>
    /// How many backplanes listen on <paramref name="prefix"/>'s invalidation channel: a malformed message, which
    /// they ignore, published there reaches that many.
    /// </summary>
    public async Task<int> SubscribersAsync(string prefix) =>
        int.Parse(await Server.SendAsync("PUBLISH", prefix + "invalidate", "probe") ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask InitializeAsync() => _server = await RedisServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
