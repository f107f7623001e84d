using System.Globalization;
using Karma.Core.Data;
using Karma.Core.Package;
using Karma.Core.Text;
using Karma.Search.Hybrid;
using Karma.Training.Configuration;
using Karma.Training.Evaluation;
using Karma.Training.Pretrained;
using Karma.Training.Training;

namespace Karma.Export.Packaging;

/// <summary>The manifest of an export: sizes, limits, every staged file with its hash, the pre-ranker's contract and the metrics.</summary>
internal static class PackageManifestBuilder
{
    public static ModelManifest Build(PackageStage stage, CheckpointInfo info, SearchLog data, ExportOptions options, PreRankOutcome preRank,
        IReadOnlyList<ParityResult> parity)
    {
        var c = info.Model;
        int n = data.Items.Count;
        var (tokenizer, graphs, tables) = stage.Entries(n);
        return new ModelManifest
        {
            ModelVersion = $"karma-{info.Objective}-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}-{graphs[PackageRoles.UserTower].Sha256[..8]}",
            Created = DateTimeOffset.UtcNow,
            Dimensions = new ManifestDimensions(c.EmbedDim, c.DModel, c.ImageDim, c.IdBuckets, c.VocabSize, n),
            Limits = new ManifestLimits(c.MaxHistory, c.MaxQueryTokens, c.MaxItemTokens, c.MaxSeqLen),
            SpecialTokens = SpecialTokens.Texts.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i),
            Tokenizer = tokenizer,
            Graphs = graphs,
            Tables = tables,
            ItemStatistics = ItemStatistics.Columns,
            PrerankFeatures = preRank.Features.Names,
            Search = new ManifestSearch(preRank.RecallK, preRank.Quotas.Karma, preRank.Quotas.Lexical, preRank.Quotas.Category),
            TextEncoder = c.HasTextEncoder
                ? new ManifestTextEncoder(MiniLmFiles.Name, MiniLmFiles.ModelSha256, MiniLmFiles.VocabularySha256, c.TextDim,
                    PretrainedText.MaxTokens, MiniLmFiles.Source)
                : null,
            Training = new Dictionary<string, string>
            {
                ["objective"] = info.Objective ?? string.Empty,
                ["steps"] = info.Step.ToString(CultureInfo.InvariantCulture),
                ["seed"] = info.Seed.ToString(CultureInfo.InvariantCulture),
                ["data"] = info.Data ?? string.Empty,
                ["checkpoint"] = Path.GetFullPath(options.CheckpointDir),
                ["prerank_trained_on"] = preRank.Source,
            },
            Metrics = Metrics(options.CheckpointDir, info.WeightsSha256, preRank.Fit, parity),
        };
    }

    private static Dictionary<string, double> Metrics(string checkpointDir, string? weightsSha256, PreRankFit fit, IReadOnlyList<ParityResult> parity)
    {
        var m = new Dictionary<string, double>(StringComparer.Ordinal);
        string path = Path.Combine(checkpointDir, ReportWriter.JsonFile);
        if (File.Exists(path))
        {
            var r = Json.Read<EvaluationReport>(path);
            if (r.WeightsSha256 != weightsSha256)
            {
                throw new InvalidDataException($"{path} describes other weights than the checkpoint's; run `karma eval` again");
            }

            m["embedding_hr50"] = r.Model.All.Hr50;
            m["embedding_hr200"] = r.Model.All.Hr200;
            m["embedding_hr1000"] = r.Model.All.Hr1000;
            m["embedding_ndcg10"] = r.Model.All.Ndcg10;
            m["embedding_hr200_warm"] = r.Model.Warm.Hr200;
            m["embedding_hr200_cold"] = r.Model.Cold.Hr200;
            m["semantic_fidelity50"] = r.SemanticFidelity50;
            m["attention_sink_max_mass"] = r.AttentionSinks.MaxKeyMass;
            m["attention_sink_first_position_mass"] = r.AttentionSinks.FirstPositionMass;
        }

        m["prerank_train_requests"] = fit.TrainExamples;
        m["prerank_holdout_requests"] = fit.HoldoutExamples;
        m["prerank_candidate_recall"] = fit.CandidateRecall;
        m["prerank_holdout_hr10_in_candidates"] = fit.HoldoutHr10;
        m["prerank_holdout_hr50_in_candidates"] = fit.HoldoutHr50;
        m["prerank_holdout_search_hr50"] = fit.HoldoutSearchHr50;
        m["prerank_holdout_search_hr200"] = fit.HoldoutSearchHr200;
        foreach (var p in parity)
        {
            m[$"parity_{p.Graph}_max_abs_diff"] = p.MaxAbsDiff;
            if (p.Top10Agreement is { } a)
            {
                m[$"parity_{p.Graph}_top10_agreement"] = a;
            }
        }

        return m;
    }
}
