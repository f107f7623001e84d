using System.Diagnostics;
using Karma.Core.Evaluation;
using Karma.Training.Configuration;
using Karma.Training.Evaluation;
using Karma.Training.Objectives;
using Karma.Training.Training;

namespace Karma.Training.Experiments;

/// <summary>
/// Trains every variant (objective × text encoder: from scratch, or with the frozen pretrained text encoder) from one
/// shared stage-1 checkpoint for several seeds, evaluates each run by its embedding and, when a
/// <see cref="SearchPathEvaluation"/> is given, by its Search path (exported package against the baselines);
/// aggregates mean and spread, and every variant's Search-path difference to action-only with the same text encoder,
/// to the same objective from scratch, and to the baselines, with paired bootstrap intervals over seeds and examples.
/// Finished runs are reused, so an interrupted ablation continues where it stopped.
/// </summary>
public static class AblationRunner
{
    /// <summary>Runs the ablation on <paramref name="dataDir"/> into <paramref name="outDir"/>.</summary>
    /// <param name="dataDir">The training data, also what every run is evaluated on.</param>
    /// <param name="outDir">Created if missing: the shared stage-1 checkpoint in <c>pretrain</c>, each run in <c>{variant}-seed{n}</c>.</param>
    /// <param name="config">Training settings shared by every run (each variant overrides only the text encoder).</param>
    /// <param name="seeds">Runs per variant, seeded 1 to this.</param>
    /// <param name="objectives">The alignment objectives to compare.</param>
    /// <param name="searchPath">Evaluates each run on the Search path; null: embedding metrics only, and no differences.</param>
    /// <param name="log">Progress lines; null: standard error.</param>
    /// <param name="textEncoders">
    /// <see cref="ModelConfig.TextEncoder"/> values to train each objective with; null: the config's own. A variant with
    /// a text encoder is named after its objective with <c>+minilm</c>.
    /// </param>
    public static AblationResult Run(string dataDir, string outDir, TrainingConfig config, int seeds,
        IReadOnlyList<Objective> objectives, SearchPathEvaluation? searchPath = null, TextWriter? log = null,
        IReadOnlyList<string>? textEncoders = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(objectives);
        var encoders = textEncoders ?? [config.Model.TextEncoder];
        var variants = encoders.SelectMany(e => objectives.Select(o => new Variant(o, e))).ToList();
        log ??= Console.Error;
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(outDir);
        string pretrainDir = Path.Combine(outDir, "pretrain");
        double pretrainSeconds = 0;
        if (!Checkpoint.Exists(pretrainDir) || Checkpoint.ReadInfo(pretrainDir).Step < config.Pretrain.Steps)
        {
            var state = Pretrainer.Run(new RunOptions { DataDir = dataDir, OutDir = pretrainDir, Config = config, Seed = 1, Resume = true, Log = log });
            pretrainSeconds = state.Seconds;
        }

        var runs = new List<AblationRun>();
        int total = seeds * variants.Count, done = 0;
        for (int seed = 1; seed <= seeds; seed++)
        {
            foreach (var variant in variants)
            {
                done++;
                var objective = variant.Objective;
                var runConfig = config with { Model = config.Model with { TextEncoder = variant.TextEncoder } };
                string dir = Path.Combine(outDir, $"{variant.Name}-seed{seed}");
                string metricsPath = Path.Combine(dir, ReportWriter.JsonFile);
                log.WriteLine($"[ablation] run {done}/{total}: {variant.Name} seed {seed} (elapsed {clock.Elapsed:h\\:mm\\:ss})");
                EvaluationReport report;
                double trainSeconds;
                if (File.Exists(metricsPath) && Checkpoint.Exists(dir) && Checkpoint.ReadInfo(dir).Step >= config.Align.Steps)
                {
                    report = Json.Read<EvaluationReport>(metricsPath);
                    trainSeconds = Json.Read<TrainerState>(Path.Combine(dir, Checkpoint.StateFile)).Seconds;
                }
                else
                {
                    var state = Aligner.Run(new RunOptions { DataDir = dataDir, OutDir = dir, Config = runConfig, Seed = seed, Resume = true, Log = log },
                        pretrainDir, objective);
                    trainSeconds = state.Seconds;
                    report = Evaluator.Run(dir, dataDir, new EvaluationOptions { Seed = seed }, log);
                    ReportWriter.WriteFiles(dir, report);
                }

                var search = searchPath?.Invoke(dir, dataDir, seed);
                runs.Add(new AblationRun(variant.Name, seed, trainSeconds, report, search));
                log.WriteLine($"[ablation] {variant.Name} seed {seed}: embedding HR@200 {report.Model.All.Hr200:F4}, SF@50 {report.SemanticFidelity50:F4}" +
                    (search is null ? string.Empty : $"; Search HR@50 {search.Metrics["HR@50"]:F4}, HR@200 {search.Metrics["HR@200"]:F4}"));
            }
        }

        var rows = variants.Select(v =>
        {
            var mine = runs.Where(r => r.Objective == v.Name).ToList();
            return new AblationRow(v.Name, mine.Count,
                AblationMetrics.Columns.ToDictionary(c => c.Name, c => Stat.Of(mine.Select(c.Read).ToList())));
        }).ToList();
        var first = runs[0].Report;
        var popularity = new AblationRow("popularity (embedding table)", 1, AblationMetrics.Columns.ToDictionary(c => c.Name, c => new Stat(c.Name switch
        {
            "emb HR@50" => first.Popularity.All.Hr50,
            "emb HR@200" => first.Popularity.All.Hr200,
            "emb HR@1000" => first.Popularity.All.Hr1000,
            "emb HR@200 cold" => first.Popularity.Cold.Hr200,
            _ => double.NaN,
        }, 0)));
        var baselines = runs[0].Search is { } s0
            ? s0.Baselines.Select(b => new AblationRow(b.Key, 1, AblationMetrics.Columns.ToDictionary(c => c.Name,
                c => new Stat(c.Name.StartsWith("Search ", StringComparison.Ordinal) ? b.Value.GetValueOrDefault(c.Name["Search ".Length..], double.NaN) : double.NaN, 0))))
                .ToList()
            : [];
        return new AblationResult(dataDir, pretrainDir, pretrainSeconds, runs, rows, popularity, baselines, Differences(runs, variants),
            clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Every variant against action-only with the same text encoder, against the same objective from scratch (a variant
    /// with a text encoder) and against each baseline, on the Search path, paired over seeds and examples.
    /// </summary>
    private static List<ObjectiveDifference> Differences(List<AblationRun> runs, IReadOnlyList<Variant> variants)
    {
        var result = new List<ObjectiveDifference>();
        if (runs.Any(r => r.Search is null))
        {
            return result;
        }

        double[][] Seeds(string objective, string metric) =>
            runs.Where(r => r.Objective == objective).Select(r => r.Search!.PerExample[metric]).ToArray();
        var names = variants.Select(v => v.Name).ToHashSet();
        foreach (var variant in variants)
        {
            string name = variant.Name;
            string action = new Variant(Objective.Action, variant.TextEncoder).Name;
            string scratch = new Variant(variant.Objective, ModelConfig.NoTextEncoder).Name;
            foreach (string metric in AblationMetrics.ComparedMetrics)
            {
                if (name != action && names.Contains(action))
                {
                    Add(name, action, metric, Seeds(name, metric), Seeds(action, metric));
                }

                if (name != scratch && names.Contains(scratch))
                {
                    Add(name, scratch, metric, Seeds(name, metric), Seeds(scratch, metric));
                }

                foreach (var (baseline, values) in runs[0].Search!.BaselinePerExample)
                {
                    Add(name, baseline, metric, Seeds(name, metric), [values[metric]]);
                }
            }
        }

        return result;

        void Add(string objective, string other, string metric, double[][] a, double[][] b)
        {
            var d = PairedBootstrap.DifferenceOverSeeds(a, b);
            result.Add(new ObjectiveDifference(objective, other, metric, d.Mean, d.Low, d.High, d.Significant));
        }
    }

    /// <summary>An objective trained with a text encoder; its name labels runs, rows and differences.</summary>
    private sealed record Variant(Objective Objective, string TextEncoder)
    {
        public string Name => Objective.ToArgument() + (TextEncoder == ModelConfig.NoTextEncoder ? string.Empty : "+minilm");
    }
}
