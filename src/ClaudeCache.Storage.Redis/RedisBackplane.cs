using ClaudeCache.Caching;
using ClaudeCache.Keys;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace ClaudeCache.Storage.Redis;

/// <summary>
/// Keeps every instance's memory tier coherent: an instance that removes or replaces an entry publishes its key on
/// <c>{prefix}invalidate</c>, and every other instance drops its in-memory copy.
/// </summary>
/// <remarks>
/// <para>
/// A message is <c>{instance id}:{hex key}</c>, or for a purge <c>{instance id}:{hex key},{hex key},…</c> (at most
/// 256 keys a message). The publisher receives its own messages too (pub/sub is a
/// broadcast); the instance id lets it ignore them, since it has already updated its own memory tier.
/// </para>
/// <para>
/// Delivery is at most once: a message published while an instance is disconnected is lost to it. Memory-tier
/// entries therefore must not outlive what the application tolerates as staleness; the subscription itself is
/// restored by the multiplexer after a reconnect. Plain (not sharded) pub/sub is used, which a cluster broadcasts
/// to every node.
/// </para>
/// </remarks>
public sealed class RedisBackplane : ICacheBackplane, IAsyncDisposable
{
    private const char Separator = ':';
    private const char KeySeparator = ',';
    private const int KeysPerMessage = 256;

    private readonly RedisConnection _connection;
    private readonly Action<string> _onEviction;
    private readonly ILogger _logger;
    private readonly RedisChannel _channel;
    private readonly Action<RedisChannel, RedisValue> _handler;
    private ISubscriber? _subscriber;

    /// <summary>
    /// Creates the backplane; call <see cref="StartAsync"/> to receive messages.
    /// <paramref name="onEviction"/> is called with the hex key of every eviction published by another instance.
    /// </summary>
    public RedisBackplane(RedisConnection connection, Action<string> onEviction, ILogger<RedisBackplane>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(onEviction);
        _connection = connection;
        _onEviction = onEviction;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _channel = RedisKeys.InvalidationChannel(connection.Options.KeyPrefix);
        _handler = OnMessage;
    }

    /// <summary>This instance's id, carried in every message it publishes.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>
    /// Subscribes to the channel, retrying every <see cref="RedisStoreOptions.ReconnectRetryInterval"/> until it
    /// succeeds or <paramref name="cancellationToken"/> is cancelled: with Redis down, run it in the background
    /// (the instance works without coherence meanwhile). Once subscribed, the multiplexer restores the subscription
    /// after reconnects by itself.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var logged = false;
        while (true)
        {
            ISubscriber? subscriber = null;
            try
            {
                subscriber = await _connection.GetSubscriberAsync(cancellationToken).ConfigureAwait(false);
                await subscriber.SubscribeAsync(_channel, _handler).WaitAsync(cancellationToken).ConfigureAwait(false);
                _subscriber = subscriber;
                return;
            }
            catch (RedisException ex)
            {
                // Also right after connecting: the subscription socket connects separately from the command socket.
                if (!logged)
                {
                    Log.SubscribeFailed(_logger, ex);
                    logged = true;
                }

                // The client registers the handler before the server confirms; a failed attempt leaves it registered,
                // and the retry would register it again (every message then handled twice). Drop it locally first.
                subscriber?.Unsubscribe(_channel, _handler, CommandFlags.FireAndForget);
            }

            await Task.Delay(_connection.Options.ReconnectRetryInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Tells every other instance to drop <paramref name="hexKey"/> from its memory tier. Bounded by
    /// <see cref="RedisStoreOptions.OperationTimeout"/>; throws on failure or timeout.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="hexKey"/> is not a cache key's hex form.</exception>
    public Task PublishEvictionAsync(string hexKey, CancellationToken cancellationToken = default)
    {
        if (!CacheKey.TryParse(hexKey, out _))
        {
            throw new ArgumentException("Expected a cache key's 64-character hex form.", nameof(hexKey));
        }

        return Bounded.WaitAsync(PublishCoreAsync(InstanceId + Separator + hexKey, cancellationToken), _connection.Options.OperationTimeout, cancellationToken);
    }

    /// <summary>
    /// Tells every other instance to drop every key of <paramref name="hexKeys"/>, up to 256 keys a message, each
    /// message bounded by <see cref="RedisStoreOptions.OperationTimeout"/>; throws on failure or timeout.
    /// </summary>
    /// <exception cref="ArgumentException">A key is not a cache key's hex form.</exception>
    public async Task PublishEvictionsAsync(IReadOnlyList<string> hexKeys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hexKeys);
        if (hexKeys.Any(key => !CacheKey.TryParse(key, out _)))
        {
            throw new ArgumentException("Expected cache keys' 64-character hex form.", nameof(hexKeys));
        }

        foreach (var chunk in hexKeys.Chunk(KeysPerMessage))
        {
            var message = InstanceId + Separator + string.Join(KeySeparator, chunk);
            await Bounded.WaitAsync(PublishCoreAsync(message, cancellationToken), _connection.Options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Unsubscribes (best effort); the connection stays open for its other users.</summary>
    public async ValueTask DisposeAsync()
    {
        var subscriber = Interlocked.Exchange(ref _subscriber, null);
        if (subscriber is null)
        {
            return;
        }

        try
        {
            await Bounded.WaitAsync(subscriber.UnsubscribeAsync(_channel, _handler), _connection.Options.OperationTimeout, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Disconnected: the server has dropped the subscription already, and the handler is gone with us.
        }
    }

    private async Task<long> PublishCoreAsync(string message, CancellationToken cancellationToken)
    {
        var subscriber = await _connection.GetSubscriberAsync(cancellationToken).ConfigureAwait(false);
        return await subscriber.PublishAsync(_channel, message).ConfigureAwait(false);
    }

    private void OnMessage(RedisChannel channel, RedisValue value)
    {
        var message = (string?)value;
        var separator = message?.IndexOf(Separator, StringComparison.Ordinal) ?? -1;
        var keys = separator > 0 ? message![(separator + 1)..].Split(KeySeparator) : [];
        if (keys.Length == 0 || keys.Length > KeysPerMessage || keys.Any(key => !CacheKey.TryParse(key, out _)))
        {
            Log.MalformedBackplaneMessage(_logger);
            return;
        }

        if (message.AsSpan(0, separator).SequenceEqual(InstanceId))
        {
            return;
        }

        try
        {
            foreach (var key in keys)
            {
                _onEviction(key);
            }
        }
#pragma warning disable CA1031 // A failing handler must not break delivery of the next message.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.EvictionHandlerFailed(_logger, ex);
        }
    }
}
