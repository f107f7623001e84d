using Karma.Serving.Core.Indexing;
using System.ComponentModel.DataAnnotations;
using Karma.Serving.Core.Model;
using Karma.Serving.Wire;

namespace Karma.Serving.Configuration;

/// <summary>The service's settings, section <c>Karma</c> (environment: <c>Karma__ModelPath</c>, …). Checked at start.</summary>
public sealed class ServingOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Karma";

    /// <summary>Shortest accepted <see cref="CacheHmacKey"/>, in bytes: the length of an HMAC-SHA256 output, the least RFC 2104 recommends.</summary>
    public const int MinCacheHmacKeyBytes = 32;

    /// <summary>The start-up error for a bad <see cref="CacheHmacKey"/> (it never repeats the value).</summary>
    public const string CacheHmacKeyError =
        "Karma:CacheHmacKey must be empty or the base64 encoding of at least 32 random bytes (e.g. `openssl rand -base64 32`)";

    /// <summary>Model package directory (relative paths resolve against the working directory).</summary>
    [Required]
    public string ModelPath { get; set; } = "models/default";

    /// <summary><c>auto</c> (CUDA when available), <c>cuda</c> or <c>cpu</c>.</summary>
    public InferenceDevice Device { get; set; } = InferenceDevice.Auto;

    /// <summary>Recall index: <c>exact</c>, <c>hnsw</c> or <c>onnx-exact</c> (<see cref="IndexKinds"/>).</summary>
    [IndexKindName]
    public string Index { get; set; } = "exact";

    /// <summary>The index kind <see cref="Index"/> names (a method, not a property: options validation reads every property, and this one throws for a bad name).</summary>
    public IndexKind ParseIndex() => IndexKinds.Parse(Index);

    /// <summary>HNSW search expansion (only with <see cref="Index"/> = hnsw).</summary>
    [Range(1, 100_000)]
    public int HnswExpansionSearch { get; set; } = 128;

    /// <summary>
    /// How the HNSW index stores its vectors: <c>Float32</c> (scores exact up to float rounding), <c>Float16</c>
    /// (1.35x faster at k = 1000 on 1M × 64, recall@10 0.9975 against 0.9995; docs/performance.md) or <c>Int8</c>
    /// (a quarter of the memory, lower recall; docs/performance.md).
    /// </summary>
    public Karma.Serving.Core.Indexing.HnswQuantization HnswQuantization { get; set; }

    /// <summary>
    /// HNSW refine step: candidates fetched per result wanted, re-scored exactly from the table and cut to k; 1 (the
    /// default) is off. With <see cref="HnswQuantization"/> Float16, BFloat16 or Int8 it buys back recall
    /// (docs/performance.md).
    /// </summary>
    [Range(1, 64)]
    public int HnswRefine { get; set; } = 1;

    /// <summary>
    /// ONNX Runtime threads per graph run on CPU; 0 = ORT's default (one per physical core). Concurrent requests already keep
    /// the cores busy, so 1 avoids runs fighting over them (see docs/performance.md).
    /// </summary>
    [Range(0, 1024)]
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Let idle ONNX Runtime threads spin-wait for work: lower latency on an idle machine, burnt cores under load.</summary>
    public bool OrtSpinning { get; set; }

    /// <summary>gRPC (HTTP/2 cleartext) port.</summary>
    [Range(0, 65535)]
    public int GrpcPort { get; set; } = 50051;

    /// <summary>Plain HTTP/1 port for /healthz, /readyz and /metrics (served only there).</summary>
    [Range(0, 65535)]
    public int HttpPort { get; set; } = 8080;

    /// <summary>
    /// Address the gRPC and HTTP ports bind to: <c>*</c> (the default: every interface, IPv6 and IPv4, which a
    /// container needs to be reachable), <c>localhost</c> (loopback, both families), or an IPv4/IPv6 literal such as
    /// <c>127.0.0.1</c>, <c>0.0.0.0</c>, <c>::1</c>.
    /// </summary>
    [Required]
    public string ListenAddress { get; set; } = ListenAddresses.Any;

    /// <summary>
    /// Separate port of the <c>karma.v1.Admin</c> service (h2c); 0 (the default) serves admin on <see cref="GrpcPort"/>.
    /// When set, admin is served only there, bound to <see cref="AdminListenAddress"/>, and reflection on the gRPC port
    /// does not list it.
    /// </summary>
    [Range(0, 65535)]
    public int AdminPort { get; set; }

    /// <summary>Address of <see cref="AdminPort"/> (same forms as <see cref="ListenAddress"/>); loopback by default.</summary>
    [Required]
    public string AdminListenAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// <c>karma.v1.Retrieval</c> calls in progress at once; more are refused at once with RESOURCE_EXHAUSTED (health,
    /// reflection and admin calls are not counted); beyond it a call may wait briefly (<see cref="MaxWaitingCalls"/>,
    /// <see cref="MaxAdmissionWaitMs"/>). Unset: 4 per processor (8 on 2 cores). The work is CPU-bound, so a higher
    /// limit only lengthens every call's wait: with 256 on 2 cores a storm was answered after seconds.
    /// </summary>
    [Range(1, 100_000)]
    public int? MaxConcurrentCalls { get; set; }

    /// <summary>The effective <see cref="MaxConcurrentCalls"/>.</summary>
    public int ConcurrentCallLimit => MaxConcurrentCalls ?? 4 * Environment.ProcessorCount;

    /// <summary>
    /// <c>karma.v1.Retrieval</c> calls that may wait for a slot when all <see cref="MaxConcurrentCalls"/> are taken; more
    /// are refused at once with RESOURCE_EXHAUSTED. Unset: 4 per processor (8 on 2 cores). Absorbs the bursts of
    /// ordinary load; under overload the line is full and the excess is refused without waiting.
    /// </summary>
    [Range(0, 100_000)]
    public int? MaxWaitingCalls { get; set; }

    /// <summary>The effective <see cref="MaxWaitingCalls"/>.</summary>
    public int WaitingCallLimit => MaxWaitingCalls ?? 4 * Environment.ProcessorCount;

    /// <summary>
    /// Longest wait of a call for a slot (never past its deadline), in milliseconds; then RESOURCE_EXHAUSTED. Every
    /// millisecond here is added to admitted calls' latency under overload (50 ms raised a storm's OK p99 from 69 to
    /// 136 ms); 10 ms lets 8 slots turn over about once on 2 cores, enough for the bursts of ordinary load.
    /// </summary>
    [Range(0, 10_000)]
    public int MaxAdmissionWaitMs { get; set; } = 10;

    /// <summary>Open connections at most (Kestrel's <c>MaxConcurrentConnections</c>, every port); more are refused.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 1000;

    /// <summary>
    /// HTTP/2 streams (calls) one connection may have open at once (Kestrel's <c>Http2.MaxStreamsPerConnection</c>,
    /// announced to clients, which queue beyond it on their side).
    /// </summary>
    [Range(1, 100_000)]
    public int MaxStreamsPerConnection { get; set; } = 100;

    /// <summary>
    /// Requests after which a served interest weighs half in the drift monitor's running profile (a plain mean until
    /// that many were served): the monitor follows roughly the last few half-lives of traffic.
    /// </summary>
    [Range(10, 10_000_000)]
    public int DriftHalfLife { get; set; } = 1000;

    /// <summary>
    /// Divergence (Jensen–Shannon, base 2) of served interests from the package's reference above which the drift
    /// monitor alerts (GetModelInfo's <c>drift.alerting</c>; the Prometheus rule compares <c>karma_interest_drift</c> with it). Own test traffic of the realistic model peaks at about
    /// 0.01 and another domain's at 0.1 or more (docs/model.md, "Drift monitor").
    /// </summary>
    [Range(0.0, 1.0)]
    public double DriftThreshold { get; set; } = 0.05;

    /// <summary>
    /// The drift monitor decodes one served interest in this many (in the background, dropped when it falls behind)
    /// and compares their words with the package's reference; 0 switches it off. About one Explain call's work per
    /// sample: at 100 Search/s and 20, a few percent of one core.
    /// </summary>
    [Range(0, 1_000_000)]
    public int DriftWordSampling { get; set; } = 20;

    /// <summary>Largest encode micro-batch.</summary>
    [Range(1, 4096)]
    public int MaxBatch { get; set; } = 32;

    /// <summary>
    /// Longest wait for a micro-batch to fill, in milliseconds. 0 (the default) runs whatever is queued when the
    /// worker is free: batches still form under load, and a lone request does not wait (1M-item Search at
    /// 100 req/s: p50 7.1 / p99 12.9 ms with 0, 11.6 / 22.2 ms with 2; docs/performance.md).
    /// </summary>
    [Range(0, 1000)]
    public double MaxBatchDelayMs { get; set; }

    /// <summary>Encodes waiting at most; more get RESOURCE_EXHAUSTED.</summary>
    [Range(1, 1_000_000)]
    public int MaxQueue { get; set; } = 1024;

    /// <summary>Largest Recall k and Search recall_k.</summary>
    [Range(1, 100_000)]
    public int MaxRecallK { get; set; } = 2000;

    /// <summary>Search recall_k when the request gives 0; unset: the recall_k the package's pre-ranker was trained with (manifest <c>search.recall_k</c>).</summary>
    [Range(1, 100_000)]
    public int? DefaultRecallK { get; set; }

    /// <summary>
    /// Share of a Search's recall_k taken from the KARMA embedding channel, in [0, 1]; unset: the share the package's
    /// pre-ranker was trained with (manifest <c>search.karma_share</c>).
    /// </summary>
    [Range(0.0, 1.0)]
    public double? KarmaShare { get; set; }

    /// <summary>Share of a Search's recall_k taken from the BM25 channel, in [0, 1]; unset: the package's (<c>search.lexical_share</c>).</summary>
    [Range(0.0, 1.0)]
    public double? LexicalShare { get; set; }

    /// <summary>Share of a Search's recall_k taken from the intent-category channel, in [0, 1]; unset: the package's (<c>search.category_share</c>).</summary>
    [Range(0.0, 1.0)]
    public double? CategoryShare { get; set; }

    /// <summary>Most history ids, candidates or filter entries accepted in one request.</summary>
    [Range(1, 1_000_000)]
    public int MaxListLength { get; set; } = 5000;

    /// <summary>Longest query or id string accepted.</summary>
    [Range(1, 1_000_000)]
    public int MaxStringLength { get; set; } = 2048;

    /// <summary>Redis connection string of the shared user-embedding cache; empty uses an in-process cache.</summary>
    public string CacheRedis { get; set; } = string.Empty;

    /// <summary>How long a cached user embedding lives, in seconds (0 disables the cache).</summary>
    [Range(0, 86_400)]
    public int CacheTtlSeconds { get; set; } = 300;

    /// <summary>Longest wait for the cache before a call goes on without it, in milliseconds.</summary>
    [Range(1, 10_000)]
    public int CacheTimeoutMs { get; set; } = 50;

    /// <summary>
    /// Without Redis: the most memory the in-process cache's stored values may take, in MiB; the least recently used
    /// entries are evicted beyond it. Each entry also costs about 1 KB of bookkeeping (key, entry object): full at the
    /// default, the cache held about 160 MB of managed heap in a soak of distinct contexts at 720 req/s.
    /// </summary>
    [Range(1, 1_000_000)]
    public int CacheMemoryMb { get; set; } = 32;

    /// <summary>
    /// Base64 of at least <see cref="MinCacheHmacKeyBytes"/> random bytes (<c>openssl rand -base64 32</c>), shared by every
    /// replica; empty: cached values are not authenticated. When set, each stored embedding carries an HMAC-SHA256 over
    /// its cache key and contents, and a lookup uses only values whose tag verifies, so whoever can write to Redis can
    /// neither inject embeddings nor copy one entry to another key. Without it, values are still checked (format,
    /// finite, unit norm), which keeps scores sane but lets a Redis writer steer a context's results.
    /// </summary>
    public string CacheHmacKey { get; set; } = string.Empty;

    /// <summary>
    /// Redis connection string where model packages are published (<c>karma publish</c>); when set, the newest
    /// published version is loaded at start and on every announcement. Empty: serve <see cref="ModelPath"/> only.
    /// </summary>
    public string PackageRedis { get; set; } = string.Empty;

    /// <summary>Where downloaded packages are kept (default: a folder under the system temp directory).</summary>
    public string PackageCacheDir { get; set; } = Path.Combine(Path.GetTempPath(), "karma-packages");

    /// <summary>
    /// The item log's file when <see cref="PackageRedis"/> is empty (with Redis, the log is the stream
    /// <see cref="ItemLogStream"/> there, shared by every replica). Empty: <c>item-log.jsonl</c> in
    /// <see cref="PackageCacheDir"/>. Put it on a persistent volume: items upserted since the package live only there.
    /// </summary>
    public string ItemLogPath { get; set; } = string.Empty;

    /// <summary>Key of the item log's Redis stream (with <see cref="PackageRedis"/>).</summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9:_\-\.]{1,200}$", ErrorMessage = "Karma:ItemLogStream must be 1-200 letters, digits or : _ - .")]
    public string ItemLogStream { get; set; } = "karma:items";

    /// <summary>How often every replica reads the item log for changes appended elsewhere, in milliseconds.</summary>
    [Range(20, 60_000)]
    public int ItemLogPollMs { get; set; } = 250;

    /// <summary>
    /// Most items one UpsertItems call (or one RemoveItems call, in ids) may carry. A call is also bounded by the 4 MiB
    /// message limit: about 5,000 items with 32 image features and catalog-length texts.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxItemsPerChange { get; set; } = 5_000;

    /// <summary>
    /// Directories an admin Reload may load packages from (the package must be one of them or below one, after
    /// resolving <c>..</c> and symbolic links). Empty (the default): the directory that contains <see cref="ModelPath"/>,
    /// and <see cref="PackageCacheDir"/>.
    /// </summary>
    public IList<string> ModelRoots { get; } = [];

    /// <summary>Bearer token of the admin service; empty disables it (every call PERMISSION_DENIED).</summary>
    public string AdminToken { get; set; } = string.Empty;

    /// <summary>
    /// On SIGTERM, how long health (gRPC and <c>/readyz</c>) reports NOT_SERVING while calls are still accepted, so
    /// load balancers and clients that watch health move away before the listeners close, in seconds.
    /// </summary>
    [Range(0, 600)]
    public int DrainDelaySeconds { get; set; }

    /// <summary>
    /// Longest whole shutdown (drain delay, then in-flight calls finishing), in seconds; calls still running after it
    /// are aborted. Keep it below the orchestrator's grace period (Kubernetes <c>terminationGracePeriodSeconds</c>).
    /// </summary>
    [Range(1, 3600)]
    public int ShutdownTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// The bytes of a <see cref="CacheHmacKey"/> value: empty for an empty value, null when it is not base64 or
    /// decodes to fewer than <see cref="MinCacheHmacKeyBytes"/> bytes.
    /// </summary>
    public static byte[]? DecodeCacheHmacKey(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return [];
        }

        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value.Trim(), buffer, out int written) && written >= MinCacheHmacKeyBytes
            ? buffer[..written]
            : null;
    }
}
