namespace Karma.Serving.Model;

/// <summary>Log lines of the user-embedding cache (rate-limited by the caller; no exception, no key content beyond a hash prefix).</summary>
internal static partial class CacheLog
{
    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning,
        Message = "User-embedding cache entry {KeyHash}… unusable ({Reason}); served as a miss ({Suppressed} similar lines suppressed since the last)")]
    public static partial void InvalidEntry(ILogger logger, string keyHash, string reason, int suppressed);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning,
        Message = "User embedding not cached: the encoder's output failed the cache's check ({Reason}) ({Suppressed} similar lines suppressed since the last)")]
    public static partial void NotStored(ILogger logger, string reason, int suppressed);
}
