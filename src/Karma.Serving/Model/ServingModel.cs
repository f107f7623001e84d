using Karma.Serving.Configuration;
using Karma.Serving.Core.Indexing;
using Karma.Serving.Core.Inference;
using Karma.Serving.Core.Items;
using Karma.Serving.Core.Model;
using Karma.Serving.Core.Monitoring;
using Karma.Serving.Core.Search;

namespace Karma.Serving.Model;

/// <summary>
/// One loaded model version with everything that serves it: package, encoder with its micro-batcher, the hybrid
/// Search pipeline (vector index, lexical index, pre-ranker) and the category table. Reference-counted by <see cref="ModelHost"/> so that a swapped-out version
/// is disposed only after its last in-flight call.
/// </summary>
public sealed class ServingModel : IAsyncDisposable
{
    private int _leases;
    private int _retired;

    private readonly Lock _apply = new();
    private SearchPipeline _pipeline;

    private ServingModel(ModelPackage package, IVectorIndex index, LiveCatalog items, InterestEncoder encoder,
        MicroBatcher<PreparedContext, float[]> batcher, SearchPipeline pipeline, InterestDriftMonitor? drift, DecodedWordMonitor? words)
    {
        Drift = drift;
        Words = words;
        Package = package;
        Index = index;
        LiveItems = items;
        Batcher = batcher;
        Encoder = encoder;
        _pipeline = pipeline;
        LoadedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>The package.</summary>
    public ModelPackage Package { get; }

    /// <summary>Context preparation and the user tower.</summary>
    public InterestEncoder Encoder { get; }

    /// <summary>Micro-batched user-tower runs.</summary>
    public MicroBatcher<PreparedContext, float[]> Batcher { get; }

    /// <summary>Recall index over the package's rows (its kind names the index in responses and metrics).</summary>
    public IVectorIndex Index { get; }

    /// <summary>
    /// Hybrid recall and pre-ranking over the items served now. Read it once per call (after encoding): a later read may
    /// see items added since, and every row of an earlier snapshot is still valid in it.
    /// </summary>
    public SearchPipeline Pipeline => Volatile.Read(ref _pipeline);

    /// <summary>The items served now (the package's, plus and minus the item log's changes applied so far).</summary>
    public ServedItems Items => Pipeline.Items;

    /// <summary>The catalog's changes since the package: what the item log applies to.</summary>
    public LiveCatalog LiveItems { get; }

    /// <summary>Applies item-log entries and publishes the result to the next call.</summary>
    public ApplyResult Apply(IReadOnlyList<(string Position, ItemChange Change)> entries)
    {
        lock (_apply)
        {
            var result = LiveItems.Apply(entries);
            Volatile.Write(ref _pipeline, _pipeline.With(LiveItems.Current));
            return result;
        }
    }

    /// <summary>The drift monitor of served interests, or null for a package without a reference.</summary>
    public InterestDriftMonitor? Drift { get; }

    /// <summary>The decoded-word monitor of served interests, or null (no decoder, no word reference, or sampling off).</summary>
    public DecodedWordMonitor? Words { get; }

    /// <summary>
    /// Feeds a served interest to the drift monitors (the category reading on every call, the decoded words on a sample);
    /// cheap and never blocking: a centroid pass and a short lock, a queue offer.
    /// </summary>
    public void ObserveServed(float[] interest)
    {
        Drift?.Observe(interest);
        Words?.Offer(interest);
    }

    /// <summary>When this version started serving.</summary>
    public DateTimeOffset LoadedAt { get; }

    /// <summary>Loads a package, builds the index and warms every graph with one call.</summary>
    public static ServingModel Load(string path, ServingOptions options, ILogger logger, IBatchObserver? batchObserver = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var package = ModelPackage.Load(path, options.Device, logger, new SessionThreading(options.IntraOpThreads, options.OrtSpinning));
        IVectorIndex? index = null;
        LiveCatalog? items = null;
        MicroBatcher<PreparedContext, float[]>? batcher = null;
        DecodedWordMonitor? words = null;
        try
        {
            var defaults = package.DefaultQuotas;
            var quotas = new Karma.Search.Hybrid.ChannelQuotas(options.KarmaShare ?? defaults.Karma, options.LexicalShare ?? defaults.Lexical,
                options.CategoryShare ?? defaults.Category);
            quotas.Validate(); // all shares 0 (settings over the package's): refused before anything else starts
            index = options.ParseIndex() switch
            {
                IndexKind.Hnsw => OpenHnsw(package, options, logger),
                // One scan is one large MatMul: all cores for it (like the exact index), spinning as configured.
                IndexKind.OnnxExact => OnnxExactIndex.Build(package.Embeddings, package.Device == "cpu" ? InferenceDevice.Cpu : options.Device, logger,
                    new SessionThreading(0, options.OrtSpinning)),
                IndexKind.Exact => new ExactIndex(package.Embeddings),
                _ => throw new InvalidOperationException($"index kind {options.Index} has no builder"),
            };
            items = new LiveCatalog(package, index);
            ServingModel? model = null;
            // History ids of items added while serving are known to the encoder through the model's current snapshot.
            var encoder = new InterestEncoder(package, () => model!.Items);
            batcher = new MicroBatcher<PreparedContext, float[]>(items => encoder.Run(items), options.MaxBatch,
                TimeSpan.FromMilliseconds(options.MaxBatchDelayMs), options.MaxQueue, workers: Math.Max(1, Environment.ProcessorCount / 2),
                observer: batchObserver);
            var pipeline = new SearchPipeline(package, items.Current, quotas);
            // The drift monitor reads interests through the Search pipeline's leaf centroids (one pass over the table, not two).
            var drift = package.Manifest.InterestReference is { } reference
                ? new InterestDriftMonitor(pipeline.Centroids,
                    InterestProfile.FromManifest(reference, InterestProfile.LeafNames(package.Attributes, package.Catalog.Categories)), options.DriftHalfLife,
                    options.DriftThreshold)
                : null;
            words = package.Decoder is { } decoder && package.Manifest.InterestReference?.Words is { } wordReference && options.DriftWordSampling > 0
                ? new DecodedWordMonitor(decoder, wordReference, options.DriftWordSampling, Math.Max(1, options.DriftHalfLife / options.DriftWordSampling),
                    package.Manifest.Limits.MaxItemTokens)
                : null;
            model = new ServingModel(package, index, items, encoder, batcher, pipeline, drift, words);
            model.WarmUp();
            return model;
        }
        catch
        {
            if (batcher is not null)
            {
                batcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            // Its background decoder must stop before the package (and the decoder session) goes.
            words?.DisposeAsync().AsTask().GetAwaiter().GetResult();

            items?.Dispose();
            index?.Dispose();
            package.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The HNSW graph persisted beside the package (<c>index.hnsw-M{connectivity}.usearch</c>, <c>-f16</c> or <c>-i8</c>
    /// before the extension when stored as float16 or int8): loaded when present and consistent with the table, else built from the table
    /// and saved for the next start.
    /// </summary>
    private static HnswIndex OpenHnsw(ModelPackage package, ServingOptions options, ILogger logger)
    {
        var hnsw = new HnswOptions { ExpansionSearch = options.HnswExpansionSearch, Quantization = options.HnswQuantization, Refine = options.HnswRefine };
        string suffix = hnsw.Quantization switch
        {
            HnswQuantization.Float16 => "-f16",
            HnswQuantization.Int8 => "-i8",
            HnswQuantization.BFloat16 => "-bf16",
            _ => string.Empty,
        };
        string path = Path.Combine(package.Directory, $"index.hnsw-M{hnsw.Connectivity}{suffix}.usearch");
        if (File.Exists(path))
        {
            try
            {
                return HnswIndex.Load(path, package.Embeddings, hnsw);
            }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException or IOException)
            {
                ServingLog.HnswRebuild(logger, path, e.Message);
            }
        }

        var index = HnswIndex.Build(package.Embeddings, hnsw);
        try
        {
            index.Save(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            ServingLog.HnswNotSaved(logger, path, e.Message); // a read-only package still serves
        }

        return index;
    }

    private void WarmUp()
    {
        string first = Package.Catalog.Ids[0];
        var (prepared, _) = Encoder.Prepare(new UserContextInput([first], "warm up"));
        var rows = prepared.Rows;
        var interest = Encoder.Run([prepared])[0];
        using var matches = Pipeline.Match("warm up");
        var request = Pipeline.Context(interest, rows, "warm up", matches);
        Pipeline.Rank(request, Pipeline.Recall(request, 10), 10);
    }

    /// <summary>Takes a lease; false when the version is already retired (the caller then takes the new one).</summary>
    internal bool TryAcquire()
    {
        Interlocked.Increment(ref _leases);
        if (Volatile.Read(ref _retired) == 1)
        {
            Release();
            return false;
        }

        return true;
    }

    /// <summary>Returns a lease; the last lease of a retired version disposes it.</summary>
    internal void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0 && Volatile.Read(ref _retired) == 1)
        {
            _ = DisposeAsync().AsTask();
        }
    }

    /// <summary>Marks the version as replaced; it is disposed when its in-flight calls are done.</summary>
    internal void Retire()
    {
        // Full fences on both sides (Interlocked here, Increment in TryAcquire): either this sees the caller's
        // lease, or the caller sees the retirement and backs off.
        Interlocked.Exchange(ref _retired, 1);
        if (Volatile.Read(ref _leases) == 0)
        {
            _ = DisposeAsync().AsTask();
        }
    }

    private int _disposed;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await Batcher.DisposeAsync().ConfigureAwait(false);
        if (Words is not null)
        {
            await Words.DisposeAsync().ConfigureAwait(false); // its decoder belongs to the package
        }

        LiveItems.Dispose();
        Index.Dispose();
        Package.Dispose();
    }
}

/// <summary>Source-generated log messages of model assembly.</summary>
internal static partial class ServingLog
{
    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "HNSW index {Path} unusable ({Reason}); rebuilding from the table")]
    public static partial void HnswRebuild(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "HNSW index not saved to {Path} ({Reason}); it will be rebuilt at the next start")]
    public static partial void HnswNotSaved(ILogger logger, string path, string reason);
}
