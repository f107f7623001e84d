using Karma.Serving.Configuration;
using Karma.Serving.Core.Telemetry;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using StackExchange.Redis;

namespace Karma.Serving.Model;

/// <summary>
/// Interest embeddings cached by model version and what the user tower consumes (<see cref="Key"/>; never the user
/// id), in Redis when configured (shared by replicas) or in process. The cache is an optimisation only: every lookup
/// and store runs under a short timeout and a circuit breaker, and any failure is a miss, so a slow, dead or restarting
/// Redis costs latency of at most the timeout, never a call. Its contents are not trusted either: a value is used only
/// if it is well-formed, authentic when <see cref="ServingOptions.CacheHmacKey"/> is set, finite and of unit norm
/// (<see cref="CachedEmbedding"/>); anything else, including an entry the Redis provider cannot parse, is a miss
/// counted as <c>invalid</c>, and does not count towards the circuit breaker, so one poisoned key cannot switch the
/// cache off for every context.
/// </summary>
public sealed partial class UserEmbeddingCache
{
    // One line per interval at most: a poisoned key is read on every call for its context, and a flood of identical
    // warnings would bury everything else; the line says how many it stands for.
    private static readonly TimeSpan LogInterval = TimeSpan.FromMinutes(1);

    private readonly IDistributedCache _cache;
    private readonly KarmaTelemetry _telemetry;
    private readonly ILogger<UserEmbeddingCache> _logger;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _pipeline;
    private readonly DistributedCacheEntryOptions _entry;
    private readonly byte[] _hmacKey;
    private readonly bool _enabled;
    private readonly long _logIntervalTicks;
    private long _nextLogAt;
    private int _suppressed;

    /// <summary>Creates the cache over the registered <see cref="IDistributedCache"/>.</summary>
    /// <param name="cache">Redis or the in-process cache.</param>
    /// <param name="options">Checked settings (TTL, timeout, HMAC key).</param>
    /// <param name="telemetry">Counts lookups by result.</param>
    /// <param name="logger">Rate-limited lines about unusable entries.</param>
    /// <param name="time">Clock of the log rate limit (default: the system's).</param>
    public UserEmbeddingCache(IDistributedCache cache, IOptions<ServingOptions> options, KarmaTelemetry telemetry,
        ILogger<UserEmbeddingCache> logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cache = cache;
        _telemetry = telemetry;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _logIntervalTicks = (long)(LogInterval.TotalSeconds * _time.TimestampFrequency);
        var o = options.Value;
        _enabled = o.CacheTtlSeconds > 0;
        // Validated at start (ServingExtensions); empty when no key is configured.
        _hmacKey = ServingOptions.DecodeCacheHmacKey(o.CacheHmacKey) ?? throw new OptionsValidationException(
            ServingOptions.Section, typeof(ServingOptions), [ServingOptions.CacheHmacKeyError]);
        _entry = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(Math.Max(1, o.CacheTtlSeconds)) };
        _pipeline = new ResiliencePipelineBuilder()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 5,
                SamplingDuration = TimeSpan.FromSeconds(5),
                BreakDuration = TimeSpan.FromSeconds(2),
                // Only the transport: the default (every exception) would let one malformed entry, read on every call
                // for its context, open the circuit for all contexts.
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransportFailure),
            })
            .AddTimeout(TimeSpan.FromMilliseconds(o.CacheTimeoutMs))
            .Build();
    }

    /// <summary>Whether stored values carry an HMAC tag that lookups require.</summary>
    public bool Authenticated => _hmacKey.Length > 0;

    /// <summary>
    /// The cached embedding, or null on a miss, a disabled cache, any cache failure (counted as <c>error</c>) or an
    /// unusable entry (counted as <c>invalid</c>). Never throws.
    /// </summary>
    public async Task<float[]?> GetAsync(string key, int dimensions)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!_enabled)
        {
            return null;
        }

        byte[]? bytes;
        try
        {
            bytes = await _pipeline.ExecuteAsync(async ct => await _cache.GetAsync(key, ct).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BrokenCircuitException || IsTransportFailure(e))
        {
            _telemetry.CacheLookupFailed();
            return null;
        }
        catch (Exception e)
        {
            // Not the transport, so the entry itself: the Redis provider failing to parse a hash whose absexp or sldexp
            // field is not a number (FormatException, InvalidCastException), a key holding another Redis type, …
            Invalid(key, e.GetType().Name);
            return null;
        }

        if (bytes is null)
        {
            _telemetry.CacheLookup(hit: false);
            return null;
        }

        var status = CachedEmbedding.Decode(key, bytes, dimensions, _hmacKey, out float[]? embedding);
        if (status != CachedEmbeddingStatus.Valid)
        {
            Invalid(key, status.ToString());
            return null;
        }

        _telemetry.CacheLookup(hit: true);
        return embedding;
    }

    /// <summary>Stores an embedding in the background; failures are ignored. An embedding that would not pass a lookup's checks is not stored.</summary>
    public void Store(string key, float[] embedding)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(embedding);
        if (!_enabled)
        {
            return;
        }

        var status = CachedEmbedding.Check(embedding);
        if (status != CachedEmbeddingStatus.Valid)
        {
            // Storing it would only make every later lookup an invalid miss.
            if (ShouldLog(out int suppressed))
            {
                CacheLog.NotStored(_logger, status.ToString(), suppressed);
            }

            return;
        }

        byte[] bytes = CachedEmbedding.Encode(key, embedding, _hmacKey);
        _ = Task.Run(async () =>
        {
            try
            {
                await _pipeline.ExecuteAsync(async ct => await _cache.SetAsync(key, bytes, _entry, ct).ConfigureAwait(false)).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The cache is best effort; nothing may escape a fire-and-forget task.
            }
        });
    }

    /// <summary>
    /// A failure to reach or hear from Redis in time: what the circuit breaker counts and a lookup reports as
    /// <c>error</c>. A <c>WRONGTYPE</c> reply is about one key (it holds another Redis type), not the transport.
    /// </summary>
    public static bool IsTransportFailure(Exception exception) => exception switch
    {
        RedisServerException s => s.Kind != RedisErrorKind.WrongType && !s.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal),
        TimeoutRejectedException or TimeoutException or RedisException or System.Net.Sockets.SocketException or IOException
            or ObjectDisposedException or OperationCanceledException => true,
        _ => false,
    };

    private void Invalid(string key, string reason)
    {
        _telemetry.CacheLookupInvalid();
        if (ShouldLog(out int suppressed))
        {
            CacheLog.InvalidEntry(_logger, KeyHash(key), reason, suppressed);
        }
    }

    /// <summary>True at most once per <see cref="LogInterval"/>; <paramref name="suppressed"/>: lines skipped since the last.</summary>
    private bool ShouldLog(out int suppressed)
    {
        long now = _time.GetTimestamp();
        long next = Interlocked.Read(ref _nextLogAt);
        if (now < next || Interlocked.CompareExchange(ref _nextLogAt, now + _logIntervalTicks, next) != next)
        {
            Interlocked.Increment(ref _suppressed);
            suppressed = 0;
            return false;
        }

        suppressed = Interlocked.Exchange(ref _suppressed, 0);
        return true;
    }

    /// <summary>The start of the key's hash: enough to find the entry, nothing about the context.</summary>
    private static string KeyHash(string key)
    {
        string hash = key[(key.LastIndexOf(':') + 1)..];
        return hash.Length > 16 ? hash[..16] : hash;
    }
}
