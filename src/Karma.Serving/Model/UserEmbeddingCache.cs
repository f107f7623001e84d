using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Karma.Serving.Configuration;
using Karma.Serving.Core.Telemetry;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Karma.Serving.Model;

/// <summary>
/// Interest embeddings cached by model version and a hash of the normalized context (history ids and query;
/// never the user id), in Redis when configured (shared by replicas) or in process. The cache is an
/// optimisation only: every lookup and store runs under a short timeout and a circuit breaker, and any
/// failure is a miss, so a slow, dead or restarting Redis costs latency of at most the timeout, never a call.
/// </summary>
public sealed class UserEmbeddingCache
{
    private readonly IDistributedCache _cache;
    private readonly KarmaTelemetry _telemetry;
    private readonly ResiliencePipeline _pipeline;
    private readonly DistributedCacheEntryOptions _entry;
    private readonly bool _enabled;

    /// <summary>Creates the cache over the registered <see cref="IDistributedCache"/>.</summary>
    public UserEmbeddingCache(IDistributedCache cache, IOptions<ServingOptions> options, KarmaTelemetry telemetry)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cache = cache;
        _telemetry = telemetry;
        var o = options.Value;
        _enabled = o.CacheTtlSeconds > 0;
        _entry = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(Math.Max(1, o.CacheTtlSeconds)) };
        _pipeline = new ResiliencePipelineBuilder()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 5,
                SamplingDuration = TimeSpan.FromSeconds(5),
                BreakDuration = TimeSpan.FromSeconds(2),
            })
            .AddTimeout(TimeSpan.FromMilliseconds(o.CacheTimeoutMs))
            .Build();
    }

    /// <summary>The cache key of a context under a model version.</summary>
    public static string Key(string modelVersion, IReadOnlyList<string> history, string? query)
    {
        ArgumentNullException.ThrowIfNull(history);
        var text = new StringBuilder();
        foreach (string id in history)
        {
            text.Append(id).Append('\u001f');
        }

        text.Append('\u001e').Append((query ?? string.Empty).Trim());
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        return $"karma:emb:{modelVersion}:{hash}";
    }

    /// <summary>The cached embedding, or null on a miss, a disabled cache or any cache failure.</summary>
    public async Task<float[]?> GetAsync(string key, int dimensions)
    {
        if (!_enabled)
        {
            return null;
        }

        byte[]? bytes;
        try
        {
            bytes = await _pipeline.ExecuteAsync(async ct => await _cache.GetAsync(key, ct).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutRejectedException or BrokenCircuitException or StackExchange.Redis.RedisException
                                      or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            _telemetry.CacheLookupFailed();
            return null;
        }

        bool hit = bytes is not null && bytes.Length == dimensions * sizeof(float);
        _telemetry.CacheLookup(hit);
        return hit ? MemoryMarshal.Cast<byte, float>(bytes).ToArray() : null;
    }

    /// <summary>Stores an embedding in the background; failures are ignored.</summary>
    public void Store(string key, float[] embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        if (!_enabled)
        {
            return;
        }

        byte[] bytes = MemoryMarshal.AsBytes(embedding.AsSpan()).ToArray();
        _ = Task.Run(async () =>
        {
            try
            {
                await _pipeline.ExecuteAsync(async ct => await _cache.SetAsync(key, bytes, _entry, ct).ConfigureAwait(false)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutRejectedException or BrokenCircuitException or StackExchange.Redis.RedisException
                                          or TimeoutException or OperationCanceledException or ObjectDisposedException)
            {
                // The cache is best effort.
            }
        });
    }
}
