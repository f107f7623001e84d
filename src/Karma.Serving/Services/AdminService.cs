using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Karma.Serving.Configuration;
using Karma.Serving.Contracts.V1;
using Karma.Serving.Core.Items;
using Karma.Serving.Model;
using Karma.Serving.Wire;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Services;

/// <summary>The <c>karma.v1.Admin</c> service: model info and reload, behind a bearer token.</summary>
public sealed class AdminService : Admin.AdminBase
{
    /// <summary>Longest error text returned by Reload (the loader's messages can quote a path of any length).</summary>
    private const int MaxErrorLength = 500;

    private readonly ModelHost _host;
    private readonly ModelRoots _roots;
    private readonly ItemLogReplayer _items;
    private readonly RequestValidation _validate;
    private readonly byte[] _token;
    private readonly int _maxItems;

    /// <summary>Creates the service.</summary>
    public AdminService(ModelHost host, ModelRoots roots, ItemLogReplayer items, IOptions<ServingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _host = host;
        _roots = roots;
        _items = items;
        _validate = new RequestValidation(options.Value);
        _token = Encoding.UTF8.GetBytes(options.Value.AdminToken);
        _maxItems = options.Value.MaxItemsPerChange;
    }

    /// <inheritdoc />
    public override Task<ItemChangeResponse> UpsertItems(UpsertItemsRequest request, ServerCallContext context)
    {
        Authorize(context);
        return ChangeAsync(ItemChangeRequests.Upsert(request, _maxItems), context);
    }

    /// <inheritdoc />
    public override Task<ItemChangeResponse> RemoveItems(RemoveItemsRequest request, ServerCallContext context)
    {
        Authorize(context);
        return ChangeAsync(ItemChangeRequests.Remove(request, _maxItems), context);
    }

    /// <summary>
    /// Checks the change against the served model (nothing is appended when any item is bad), appends it to the item
    /// log, and returns once this replica serves it; other replicas follow within their poll interval.
    /// </summary>
    private async Task<ItemChangeResponse> ChangeAsync(ItemChange change, ServerCallContext context)
    {
        using var lease = _host.Acquire();
        var model = lease.Model;
        if (change.Kind == ItemChangeKind.Upsert && model.LiveItems.CannotAdd is { } reason)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"model {model.Package.Version}: {reason}"));
        }

        ItemChangeRequests.Refuse(model.LiveItems.Problems(change));
        var ids = change.ItemIds.Distinct(StringComparer.Ordinal).ToList();
        int unknown = ids.Count(id => model.Items.Catalog.RowOf(id) < 0);
        string position;
        try
        {
            position = await _items.Log.AppendAsync(change, context.CancellationToken).ConfigureAwait(false);
            await _items.CatchUpAsync(model, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException or IOException or UnauthorizedAccessException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, ErrorText.Bound($"item log {_items.Log.Description}: {e.Message}", MaxErrorLength)));
        }

        var items = model.Items;
        return new ItemChangeResponse
        {
            Position = position,
            Added = change.Items.Count,
            Removed = ids.Count - unknown,
            UnknownRemoved = unknown,
            ModelVersion = model.Package.Version,
            ServedItems = items.LiveItems,
        };
    }

    /// <inheritdoc />
    public override Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context)
    {
        Authorize(context);
        using var lease = _host.Acquire();
        return Task.FromResult(Info(lease.Model));
    }

    /// <inheritdoc />
    public override async Task<ReloadResponse> Reload(ReloadRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        Authorize(context);
        // Empty: the configured ModelPath (trusted configuration). Anything else only from inside the model roots, and
        // loaded by its canonical path, so what was checked is what is read.
        string? path = null;
        if (!string.IsNullOrWhiteSpace(request.PackagePath))
        {
            _validate.Text(request.PackagePath, "package_path");
            path = _roots.Admit(request.PackagePath);
        }

        string? previous;
        try
        {
            previous = await _host.LoadAsync(path, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // The old version keeps serving. The loader's message may quote the path: shown shortened, and the whole
            // text bounded.
            string reason = path is null ? e.Message : e.Message.Replace(path, ErrorText.Bound(path), StringComparison.Ordinal);
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                ErrorText.Bound($"reload refused, previous version still serving: {reason}", MaxErrorLength)));
        }

        using var lease = _host.Acquire();
        return new ReloadResponse { PreviousVersion = previous ?? string.Empty, Current = Info(lease.Model) };
    }

    private void Authorize(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_token.Length == 0)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "the admin service is disabled (no Karma:AdminToken configured)"));
        }

        string? header = context.RequestHeaders.GetValue("authorization");
        const string prefix = "Bearer ";
        if (header is null || !header.StartsWith(prefix, StringComparison.Ordinal)
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[prefix.Length..]), _token))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "a valid 'authorization: Bearer <token>' header is required"));
        }
    }

    private ModelInfo Info(ServingModel model)
    {
        var m = model.Package.Manifest;
        var info = new ModelInfo
        {
            ModelVersion = m.ModelVersion,
            PackagePath = model.Package.Directory,
            Items = m.Dimensions.Items,
            EmbedDim = m.Dimensions.EmbedDim,
            MaxHistory = m.Limits.MaxHistory,
            MaxQueryTokens = m.Limits.MaxQueryTokens,
            Index = model.Index.Kind,
            Device = model.Package.Device,
            LoadedAt = model.LoadedAt.ToUnixTimeSeconds(),
            ImageDim = m.Dimensions.ImageDim,
        };
        var items = model.Items;
        info.ServedItems = items.LiveItems;
        info.AddedRows = items.AddedRows;
        info.RemovedRows = items.Removed.Count;
        info.ItemLogPosition = items.Position ?? string.Empty;
        info.CatalogDigest = items.Digest();
        foreach (var (k, v) in m.Metrics)
        {
            info.Metrics[k] = v;
        }

        info.QualityGate = m.Quality?.Gate.Summary ?? "not run";
        info.ItemLog = _items.Log.Description;
        if (model.Drift is { } drift && m.InterestReference is { } reference)
        {
            var f = drift.Current();
            info.Drift = new InterestDrift
            {
                Divergence = f.Divergence,
                Threshold = f.Threshold,
                Alerting = f.Alerting,
                MeanCosine = f.MeanCosine,
                Concentration = f.Concentration,
                ReferenceConcentration = drift.Reference.Concentration,
                Observed = f.Observed,
                TestDivergence = reference.TestDivergence,
                TestWordDivergence = reference.TestWordDivergence,
            };
            if (model.Words is { } words)
            {
                var w = words.Current();
                info.Drift.WordDivergence = w.Divergence;
                info.Drift.WordsDecoded = w.Decoded;
                info.Drift.WordsDropped = w.Dropped;
                info.Drift.WordsFailed = w.Failed;
                info.Drift.ServedWords.AddRange(w.TopWords.Select(t => new WordShare { Word = t.Word, Share = t.Share }));
            }
        }

        return info;
    }
}
