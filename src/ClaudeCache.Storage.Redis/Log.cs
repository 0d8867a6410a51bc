using System.Net;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ClaudeCache.Storage.Redis;

/// <summary>The Redis store's log messages. Event ids 2200–2299 belong to this component; keys are never logged.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2200, Level = LogLevel.Warning, Message = "Redis is not reachable yet; the cache serves misses and keeps reconnecting")]
    public static partial void StartedDisconnected(ILogger logger);

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "Connecting to Redis failed; the next operation after the retry interval tries again")]
    public static partial void ConnectFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "Lost the {ConnectionType} connection to Redis at {EndPoint} ({FailureType}); reconnecting")]
    public static partial void ConnectionFailed(ILogger logger, EndPoint? endPoint, ConnectionFailureType failureType, ConnectionType connectionType, Exception? exception);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Information, Message = "Restored the {ConnectionType} connection to Redis at {EndPoint}")]
    public static partial void ConnectionRestored(ILogger logger, EndPoint? endPoint, ConnectionType connectionType);

    [LoggerMessage(EventId = 2210, Level = LogLevel.Information, Message = "Entry of {Bytes} bytes exceeds the Redis limit of {Limit} bytes; not stored")]
    public static partial void OversizedEntry(ILogger logger, int bytes, int limit);

    [LoggerMessage(EventId = 2220, Level = LogLevel.Warning, Message = "An eviction handler failed for a backplane message")]
    public static partial void EvictionHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2222, Level = LogLevel.Warning, Message = "Subscribing to the backplane channel failed; retrying until Redis answers")]
    public static partial void SubscribeFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2221, Level = LogLevel.Debug, Message = "Ignored a malformed backplane message")]
    public static partial void MalformedBackplaneMessage(ILogger logger);

    [LoggerMessage(EventId = 2230, Level = LogLevel.Warning, Message = "Releasing a Redis lock failed; it expires with its lease")]
    public static partial void LockReleaseFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2231, Level = LogLevel.Warning, Message = "Renewing a Redis lock's lease failed; retrying at the next third of the lease")]
    public static partial void LockRenewalFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2232, Level = LogLevel.Warning, Message = "A Redis lock's lease expired before it was renewed and another instance holds it now; that instance may call upstream for the same request")]
    public static partial void LockLost(ILogger logger);
}
