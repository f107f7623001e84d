using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Karma.Serving.Configuration;
using Karma.Serving.Contracts.V1;
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
    private readonly RequestValidation _validate;
    private readonly byte[] _token;

    /// <summary>Creates the service.</summary>
    public AdminService(ModelHost host, ModelRoots roots, IOptions<ServingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _host = host;
        _roots = roots;
        _validate = new RequestValidation(options.Value);
        _token = Encoding.UTF8.GetBytes(options.Value.AdminToken);
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

    private static ModelInfo Info(ServingModel model)
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
        };
        foreach (var (k, v) in m.Metrics)
        {
            info.Metrics[k] = v;
        }

        info.QualityGate = m.Quality?.Gate.Summary ?? "not run";
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
