namespace Karma.Serving.Model;

/// <summary>Log lines of the user-embedding cache (rate-limited by the caller; no exception, no key content beyond a hash prefix).</summary>
internal static partial class CacheLog
{
    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning,
        Message = "User-embedding cache entry {KeyHash}… unusable ({Reason}), served as a miss; {Suppressed} more cache warnings suppressed since the previous one")]
    public static partial void InvalidEntry(ILogger logger, string keyHash, string reason, int suppressed);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning,
        Message = "User embedding not cached: the encoder's output failed the cache's check ({Reason}); {Suppressed} more cache warnings suppressed since the previous one")]
    public static partial void NotStored(ILogger logger, string reason, int suppressed);
}
