using Grpc.Core;
using Karma.Serving.Configuration;
using Karma.Serving.Contracts.V1;
using Karma.Core.Package;
using Karma.Serving.Core.Indexing;
using Karma.Serving.Core.Items;
using Karma.Search.Hybrid;
using Karma.Serving.Core.Inference;
using Karma.Serving.Core.Search;
using Karma.Serving.Core.Telemetry;
using Karma.Serving.Model;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Services;

/// <summary>
/// The <c>karma.v1.Retrieval</c> service: Encode, Recall, PreRank, Search over the leased model version. Validation,
/// encoding (cache, micro-batching) and response mapping live here; recall, fusion and pre-ranking are the
/// transport-free <see cref="SearchPipeline"/>.
/// </summary>
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
        var user = await EncodeAsync(lease.Model, request.Context, context.CancellationToken).ConfigureAwait(false);
        return new EncodeResponse { Embedding = ToEmbedding(user.Interest), ModelVersion = lease.Model.Package.Version, ContextReport = user.Report };
    }

    /// <inheritdoc />
    public override async Task<RecallResponse> Recall(RecallRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        RequestValidation.Range(request.K, 1, _options.MaxRecallK, "k");
        _validate.Filter(request.Filter);
        var channels = RequestValidation.Channels(request.Channels, "channels");
        using var lease = _host.Acquire();
        var model = lease.Model;
        var user = await UserAsync(model, request.UserCase == RecallRequest.UserOneofCase.Context ? request.Context : null,
            request.UserCase == RecallRequest.UserOneofCase.Embedding ? request.Embedding : null, context.CancellationToken).ConfigureAwait(false);
        if (channels.HasFlag(RecallChannels.Lexical) && string.IsNullOrWhiteSpace(user.Query))
        {
            throw RequestValidation.Invalid("channels: the lexical channel needs a context with a query");
        }

        var pipeline = model.Pipeline;
        var filter = MakeFilter(pipeline.Items, request.Filter);
        var candidates = Stage("recall", model, () =>
        {
            // The BM25 match and the request context cost a catalog-wide pass; only the channels that need them pay it.
            using var matches = channels.HasFlag(RecallChannels.Lexical) || channels.HasFlag(RecallChannels.Category)
                ? pipeline.Match(user.Query)
                : Karma.Search.Lexical.LexicalMatches.Empty;
            var karma = channels.HasFlag(RecallChannels.Karma) ? pipeline.KarmaChannel(user.Interest, request.K, filter) : [];
            var lexical = channels.HasFlag(RecallChannels.Lexical) ? pipeline.LexicalChannel(matches, request.K, filter) : [];
            var category = channels.HasFlag(RecallChannels.Category)
                ? pipeline.CategoryChannel(pipeline.Context(user.Interest, user.HistoryRows, user.Query, matches), request.K, filter)
                : [];
            // One channel keeps its own scores; several are fused and scored by reciprocal-rank fusion.
            return channels switch
            {
                RecallChannels.Karma => karma.Select(h => (h.Row, h.Score, Channels: channels)).ToList(),
                RecallChannels.Lexical => lexical.Select(h => (h.Row, h.Score, Channels: channels)).ToList(),
                RecallChannels.Category => category.Select(h => (h.Row, h.Score, Channels: channels)).ToList(),
                _ => Fused(HybridFusion.Fuse(karma, lexical, category), request.K),
            };
        });
        var response = new RecallResponse { ModelVersion = model.Package.Version, ContextReport = user.Report, Index = model.Index.Kind };
        response.Items.AddRange(candidates.Select(c => Item(pipeline.Items.Catalog, c.Row, c.Score, c.Channels)));
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
        var user = await UserAsync(model, request.UserCase == PreRankRequest.UserOneofCase.Context ? request.Context : null,
            request.UserCase == PreRankRequest.UserOneofCase.Embedding ? request.Embedding : null, context.CancellationToken).ConfigureAwait(false);
        var pipeline = model.Pipeline;
        var rows = new List<int>(request.ItemIds.Count);
        int unknown = 0;
        foreach (string id in request.ItemIds)
        {
            if (pipeline.Items.Catalog.IndexOf.TryGetValue(id, out int row))
            {
                rows.Add(row);
            }
            else
            {
                unknown++;
            }
        }

        var response = new PreRankResponse { ModelVersion = model.Package.Version, ContextReport = user.Report, UnknownCandidates = unknown };
        int topN = request.TopN == 0 ? rows.Count : request.TopN;
        response.Items.AddRange(Stage("prerank", model, () =>
        {
            using var matches = pipeline.Match(user.Query);
            float[] scores = pipeline.Score(pipeline.Context(user.Interest, user.HistoryRows, user.Query, matches), rows.ToArray());
            return Enumerable.Range(0, rows.Count).OrderByDescending(i => scores[i]).ThenBy(i => rows[i]).Take(topN)
                .Select(i => Item(pipeline.Items.Catalog, rows[i], scores[i], RecallChannels.None)).ToList();
        }));
        return response;
    }

    /// <inheritdoc />
    public override async Task<SearchResponse> Search(SearchRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        _validate.Context(request.Context, "context");
        _validate.Filter(request.Filter);
        using var lease = _host.Acquire();
        var model = lease.Model;
        int recallK = request.RecallK == 0 ? Math.Min(_options.DefaultRecallK ?? model.Package.SearchDefaults.RecallK, _options.MaxRecallK) : request.RecallK;
        RequestValidation.Range(recallK, 1, _options.MaxRecallK, "recall_k");
        RequestValidation.Range(request.TopN, 1, recallK, "top_n");
        var user = await EncodeAsync(model, request.Context, context.CancellationToken).ConfigureAwait(false);
        context.CancellationToken.ThrowIfCancellationRequested();
        var pipeline = model.Pipeline;
        using var matches = pipeline.Match(user.Query);
        var search = pipeline.Context(user.Interest, user.HistoryRows, user.Query, matches);
        var candidates = Stage("recall", model, () => pipeline.Recall(search, recallK, MakeFilter(pipeline.Items, request.Filter)));
        context.CancellationToken.ThrowIfCancellationRequested();
        var response = new SearchResponse
        {
            ModelVersion = model.Package.Version, ContextReport = user.Report, Recalled = candidates.Count, Index = model.Index.Kind,
        };
        foreach (var channel in new[] { RecallChannels.Karma, RecallChannels.Lexical, RecallChannels.Category })
        {
            string name = RecallChannelNames.Of(channel).Single();
            int count = candidates.Channels.Count(c => c.HasFlag(channel));
            response.RecalledByChannel[name] = count;
            _telemetry.SearchCandidates(name, count);
        }

        _telemetry.SearchCandidates("fused", candidates.Count);

        var ranked = Stage("prerank", model, () => pipeline.Rank(search, candidates, request.TopN));
        response.Items.AddRange(ranked.Select(r => Item(pipeline.Items.Catalog, r.Row, r.Score, r.Channels)));
        if (request.Explain)
        {
            var decoder = Explainer.DecoderOf(model);
            response.Explanation = Stage("explain", model, () => Explainer.Explain(model, pipeline, decoder, search, ranked.Select(r => r.Row).ToArray(), 0, 0));
        }

        return response;
    }

    /// <inheritdoc />
    public override async Task<ExplainResponse> Explain(ExplainRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        _validate.List(request.ItemIds, "item_ids");
        RequestValidation.Range(request.TopWords, 0, Explainer.MaxTopWords, "top_words");
        RequestValidation.Range(request.MaxTokens, 0, Explainer.MaxTokens, "max_tokens");
        using var lease = _host.Acquire();
        var model = lease.Model;
        var decoder = Explainer.DecoderOf(model);
        var user = await UserAsync(model, request.UserCase == ExplainRequest.UserOneofCase.Context ? request.Context : null,
            request.UserCase == ExplainRequest.UserOneofCase.Embedding ? request.Embedding : null, context.CancellationToken).ConfigureAwait(false);
        var pipeline = model.Pipeline;
        var rows = request.ItemIds.Select(pipeline.Items.Catalog.RowOf).ToList();
        var response = new ExplainResponse { ModelVersion = model.Package.Version, ContextReport = user.Report, UnknownItems = rows.Count(r => r < 0) };
        using var matches = pipeline.Match(user.Query);
        var search = pipeline.Context(user.Interest, user.HistoryRows, user.Query, matches);
        response.Explanation = Stage("explain", model, () => Explainer.Explain(model, pipeline, decoder, search, rows.Where(r => r >= 0).ToArray(),
            request.TopWords, request.MaxTokens));
        return response;
    }

    /// <summary>Largest ListItems page; 0 asks for <see cref="DefaultPageSize"/>.</summary>
    public const int MaxPageSize = 10_000;

    /// <summary>ListItems page size when the request names none.</summary>
    public const int DefaultPageSize = 1_000;

    /// <inheritdoc />
    public override Task<ListItemsResponse> ListItems(ListItemsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestValidation.Range(request.PageSize, 0, MaxPageSize, "page_size");
        using var lease = _host.Acquire();
        var items = lease.Model.Items;
        var catalog = items.Catalog;
        string version = lease.Model.Package.Version;
        // Pages walk rows; removed rows (and the old rows of replaced items) are skipped, so a page may hold fewer items
        // than asked while the catalog changes. A token stays valid as rows are added: rows never move.
        int start = CatalogPageToken.Parse(request.PageToken, version, catalog.Count);
        int end = Math.Min(catalog.Count, start + (request.PageSize == 0 ? DefaultPageSize : request.PageSize));
        var response = new ListItemsResponse
        {
            ModelVersion = version,
            TotalItems = items.LiveItems,
            NextPageToken = end < catalog.Count ? CatalogPageToken.Format(version, end) : string.Empty,
        };
        for (int row = start; row < end; row++)
        {
            if (items.IsLive(row))
            {
                response.Items.Add(new CatalogItem { ItemId = catalog.Ids[row], Title = catalog.Titles[row] ?? string.Empty, Category = catalog.Categories[row] });
            }
        }

        return Task.FromResult(response);
    }

    /// <summary>A request's user: interest embedding, the known history rows, the query and how the context was read.</summary>
    private sealed record RequestUser(float[] Interest, int[] HistoryRows, string? Query, ContextReport Report);

    private async Task<RequestUser> UserAsync(ServingModel model, UserContext? userContext, Embedding? embedding,
        CancellationToken cancellationToken)
    {
        if (embedding is not null)
        {
            return new RequestUser(RequestValidation.Embedding(embedding, model.Encoder.Dimensions, "embedding"), [], null, new ContextReport());
        }

        if (userContext is null)
        {
            throw RequestValidation.Invalid("one of context or embedding is required");
        }

        _validate.Context(userContext, "context");
        return await EncodeAsync(model, userContext, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RequestUser> EncodeAsync(ServingModel model, UserContext userContext, CancellationToken cancellationToken)
    {
        var (prepared, stats) = model.Encoder.Prepare(new UserContextInput(userContext.HistoryItemIds, userContext.Query));
        var rows = prepared.Rows;
        var report = new ContextReport
        {
            UnknownHistoryItems = stats.UnknownHistoryItems,
            TruncatedHistoryItems = stats.TruncatedHistoryItems,
            QueryTokens = stats.QueryTokens,
            QueryTruncated = stats.QueryTruncated,
        };
        // Keyed by what the user tower will consume, not by the raw request: equal keys mean equal embeddings.
        string key = UserEmbeddingCache.Key(model.Package.Version, rows, prepared.Query, prepared.TextTokens);
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
            model.ObserveServed(cached);
            return new RequestUser(cached, rows, userContext.Query, report);
        }

        using var span = _telemetry.StartStage("encode");
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var interest = await model.Batcher.EnqueueAsync(prepared, cancellationToken).ConfigureAwait(false);
        _telemetry.StageDone("encode", System.Diagnostics.Stopwatch.GetElapsedTime(start), model.Index.Kind);
        _cache.Store(key, interest);
        model.ObserveServed(interest);
        return new RequestUser(interest, rows, userContext.Query, report);
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

    private static CatalogRowFilter? MakeFilter(ServedItems items, Filter? filter)
        => filter is null ? null : CatalogRowFilter.Create(items.Categories, filter.IncludeCategories, filter.ExcludeCategories,
            filter.ExcludeItemIds, items.Catalog);

    /// <summary>The first <paramref name="k"/> fused candidates with their reciprocal-rank-fusion scores.</summary>
    private static List<(int Row, float Score, RecallChannels Channels)> Fused(CandidateSet set, int k)
        => Enumerable.Range(0, Math.Min(k, set.Count)).Select(i => (set.Rows[i], set.FusedScores[i], set.Channels[i])).ToList();

    private static ScoredItem Item(ItemCatalog catalog, int row, float score, RecallChannels channels)
    {
        var item = new ScoredItem
        {
            ItemId = catalog.Ids[row],
            Score = score,
            Category = catalog.Categories[row],
            Title = catalog.Titles[row] ?? string.Empty,
        };
        if (channels.HasFlag(RecallChannels.Karma))
        {
            item.Channels.Add(RecallChannel.Karma);
        }

        if (channels.HasFlag(RecallChannels.Lexical))
        {
            item.Channels.Add(RecallChannel.Lexical);
        }

        if (channels.HasFlag(RecallChannels.Category))
        {
            item.Channels.Add(RecallChannel.Category);
        }

        return item;
    }

    private static Embedding ToEmbedding(float[] values)
    {
        var e = new Embedding();
        e.Values.AddRange(values);
        return e;
    }
}
