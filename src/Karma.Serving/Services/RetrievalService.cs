using Grpc.Core;
using Karma.Serving.Configuration;
using Karma.Serving.Contracts.V1;
using Karma.Serving.Core.Indexing;
using Karma.Serving.Core.Inference;
using Karma.Serving.Core.Telemetry;
using Karma.Serving.Model;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Services;

/// <summary>The <c>karma.v1.Retrieval</c> service: Encode, Recall, PreRank, Search over the leased model version.</summary>
public sealed class RetrievalService : Retrieval.RetrievalBase
{
    private readonly ModelHost _host;
    private readonly ServingOptions _options;
    private readonly RequestValidation _validate;
    private readonly KarmaTelemetry _telemetry;
    private readonly UserEmbeddingCache _cache;

    /// <summary>Creates the service.</summary>
    public RetrievalService(ModelHost host, IOptions<ServingOptions> options, KarmaTelemetry telemetry, UserEmbeddingCache cache)
    {
        ArgumentNullException.ThrowIfNull(options);
        _host = host;
        _telemetry = telemetry;
        _cache = cache;
        _options = options.Value;
        _validate = new RequestValidation(_options);
    }

    /// <inheritdoc />
    public override async Task<EncodeResponse> Encode(EncodeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        _validate.Context(request.Context, "context");
        using var lease = _host.Acquire();
        var (interest, report) = await EncodeAsync(lease.Model, request.Context, context.CancellationToken).ConfigureAwait(false);
        return new EncodeResponse { Embedding = ToEmbedding(interest), ModelVersion = lease.Model.Package.Version, ContextReport = report };
    }

    /// <inheritdoc />
    public override async Task<RecallResponse> Recall(RecallRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        RequestValidation.Range(request.K, 1, _options.MaxRecallK, "k");
        _validate.Filter(request.Filter);
        using var lease = _host.Acquire();
        var model = lease.Model;
        var (interest, report) = await UserVectorAsync(model, request.UserCase == RecallRequest.UserOneofCase.Context ? request.Context : null,
            request.UserCase == RecallRequest.UserOneofCase.Embedding ? request.Embedding : null, context.CancellationToken).ConfigureAwait(false);
        var hits = Stage("recall", model, () => model.Index.Search(interest, request.K, MakeFilter(model, request.Filter)));
        var response = new RecallResponse { ModelVersion = model.Package.Version, ContextReport = report, Index = model.Index.Kind };
        response.Items.AddRange(hits.Select(h => Item(model, h.Row, h.Score)));
        return response;
    }

    /// <inheritdoc />
    public override async Task<PreRankResponse> PreRank(PreRankRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        _validate.List(request.ItemIds, "item_ids");
        if (request.ItemIds.Count == 0)
        {
            throw RequestValidation.Invalid("item_ids is empty");
        }

        RequestValidation.Range(request.TopN, 0, request.ItemIds.Count, "top_n");
        using var lease = _host.Acquire();
        var model = lease.Model;
        var (interest, report) = await UserVectorAsync(model, request.UserCase == PreRankRequest.UserOneofCase.Context ? request.Context : null,
            request.UserCase == PreRankRequest.UserOneofCase.Embedding ? request.Embedding : null, context.CancellationToken).ConfigureAwait(false);
        var rows = new List<int>(request.ItemIds.Count);
        int unknown = 0;
        foreach (string id in request.ItemIds)
        {
            if (model.Package.Catalog.IndexOf.TryGetValue(id, out int row))
            {
                rows.Add(row);
            }
            else
            {
                unknown++;
            }
        }

        var response = new PreRankResponse { ModelVersion = model.Package.Version, ContextReport = report, UnknownCandidates = unknown };
        response.Items.AddRange(Stage("prerank", model, () => Ranked(model, interest, rows, request.TopN == 0 ? rows.Count : request.TopN)));
        return response;
    }

    /// <inheritdoc />
    public override async Task<SearchResponse> Search(SearchRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        _validate.Context(request.Context, "context");
        _validate.Filter(request.Filter);
        int recallK = request.RecallK == 0 ? _options.DefaultRecallK : request.RecallK;
        RequestValidation.Range(recallK, 1, _options.MaxRecallK, "recall_k");
        RequestValidation.Range(request.TopN, 1, recallK, "top_n");
        using var lease = _host.Acquire();
        var model = lease.Model;
        var (interest, report) = await EncodeAsync(model, request.Context, context.CancellationToken).ConfigureAwait(false);
        context.CancellationToken.ThrowIfCancellationRequested();
        var hits = Stage("recall", model, () => model.Index.Search(interest, recallK, MakeFilter(model, request.Filter)));
        context.CancellationToken.ThrowIfCancellationRequested();
        var response = new SearchResponse { ModelVersion = model.Package.Version, ContextReport = report, Recalled = hits.Count, Index = model.Index.Kind };
        response.Items.AddRange(Stage("prerank", model, () => Ranked(model, interest, hits.Select(h => h.Row).ToList(), request.TopN)));
        return response;
    }

    private async Task<(float[] Interest, ContextReport Report)> UserVectorAsync(ServingModel model, UserContext? userContext, Embedding? embedding,
        CancellationToken cancellationToken)
    {
        if (embedding is not null)
        {
            return (RequestValidation.Embedding(embedding, model.Encoder.Dimensions, "embedding"), new ContextReport());
        }

        if (userContext is null)
        {
            throw RequestValidation.Invalid("one of context or embedding is required");
        }

        _validate.Context(userContext, "context");
        return await EncodeAsync(model, userContext, cancellationToken).ConfigureAwait(false);
    }

    private async Task<(float[] Interest, ContextReport Report)> EncodeAsync(ServingModel model, UserContext userContext,
        CancellationToken cancellationToken)
    {
        var (rows, query, stats) = model.Encoder.Prepare(new UserContextInput(userContext.HistoryItemIds, userContext.Query));
        var report = new ContextReport
        {
            UnknownHistoryItems = stats.UnknownHistoryItems,
            TruncatedHistoryItems = stats.TruncatedHistoryItems,
            QueryTokens = stats.QueryTokens,
            QueryTruncated = stats.QueryTruncated,
        };
        string key = UserEmbeddingCache.Key(model.Package.Version, userContext.HistoryItemIds, userContext.Query);
        float[]? cached;
        using (var cacheSpan = _telemetry.StartStage("cache"))
        {
            long cacheStart = System.Diagnostics.Stopwatch.GetTimestamp();
            cached = await _cache.GetAsync(key, model.Encoder.Dimensions).ConfigureAwait(false);
            cacheSpan?.SetTag("karma.cache.hit", cached is not null);
            _telemetry.StageDone("cache", System.Diagnostics.Stopwatch.GetElapsedTime(cacheStart), model.Index.Kind);
        }

        if (cached is not null)
        {
            report.CacheHit = true;
            return (cached, report);
        }

        using var span = _telemetry.StartStage("encode");
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var interest = await model.Batcher.EnqueueAsync((rows, query), cancellationToken).ConfigureAwait(false);
        _telemetry.StageDone("encode", System.Diagnostics.Stopwatch.GetElapsedTime(start), model.Index.Kind);
        _cache.Store(key, interest);
        return (interest, report);
    }

    /// <summary>Runs a synchronous stage inside its span and records its duration.</summary>
    private T Stage<T>(string stage, ServingModel model, Func<T> work)
    {
        using var span = _telemetry.StartStage(stage);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = work();
        _telemetry.StageDone(stage, System.Diagnostics.Stopwatch.GetElapsedTime(start), model.Index.Kind);
        return result;
    }

    private static CatalogRowFilter? MakeFilter(ServingModel model, Filter? filter)
        => filter is null ? null : CatalogRowFilter.Create(model.Categories, filter.IncludeCategories, filter.ExcludeCategories,
            filter.ExcludeItemIds, model.Package.Catalog);

    private static List<ScoredItem> Ranked(ServingModel model, float[] interest, List<int> rows, int topN)
    {
        var scores = model.Scorer.Score(interest, rows);
        return Enumerable.Range(0, rows.Count)
            .OrderByDescending(i => scores[i]).ThenBy(i => rows[i])
            .Take(topN)
            .Select(i => Item(model, rows[i], scores[i]))
            .ToList();
    }

    private static ScoredItem Item(ServingModel model, int row, float score)
        => new() { ItemId = model.Package.Catalog.Ids[row], Score = score, Category = model.Package.Catalog.Categories[row] };

    private static Embedding ToEmbedding(float[] values)
    {
        var e = new Embedding();
        e.Values.AddRange(values);
        return e;
    }
}
