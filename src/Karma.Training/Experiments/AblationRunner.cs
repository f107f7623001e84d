using System.Diagnostics;
using Karma.Core.Evaluation;
using Karma.Training.Configuration;
using Karma.Training.Evaluation;
using Karma.Training.Objectives;
using Karma.Training.Training;

namespace Karma.Training.Experiments;

/// <summary>
/// Trains every objective from one shared stage-1 checkpoint for several seeds, evaluates each run by its embedding
/// and, when a <see cref="SearchPathEvaluation"/> is given, by its Search path (exported package against the
/// baselines); aggregates mean and spread, and every objective's Search-path difference to action-only and to the
/// baselines with paired bootstrap intervals over seeds and examples. Finished runs are reused, so an interrupted
/// ablation continues where it stopped.
/// </summary>
public static class AblationRunner
{
    /// <summary>Runs the ablation on <paramref name="dataDir"/> into <paramref name="outDir"/>.</summary>
    public static AblationResult Run(string dataDir, string outDir, TrainingConfig config, int seeds,
        IReadOnlyList<Objective> objectives, SearchPathEvaluation? searchPath = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(objectives);
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
        int total = seeds * objectives.Count, done = 0;
        for (int seed = 1; seed <= seeds; seed++)
        {
            foreach (var objective in objectives)
            {
                done++;
                string dir = Path.Combine(outDir, $"{objective.ToArgument()}-seed{seed}");
                string metricsPath = Path.Combine(dir, ReportWriter.JsonFile);
                log.WriteLine($"[ablation] run {done}/{total}: {objective.ToArgument()} seed {seed} (elapsed {clock.Elapsed:h\\:mm\\:ss})");
                EvaluationReport report;
                double trainSeconds;
                if (File.Exists(metricsPath) && Checkpoint.Exists(dir) && Checkpoint.ReadInfo(dir).Step >= config.Align.Steps)
                {
                    report = Json.Read<EvaluationReport>(metricsPath);
                    trainSeconds = Json.Read<TrainerState>(Path.Combine(dir, Checkpoint.StateFile)).Seconds;
                }
                else
                {
                    var state = Aligner.Run(new RunOptions { DataDir = dataDir, OutDir = dir, Config = config, Seed = seed, Resume = true, Log = log },
                        pretrainDir, objective);
                    trainSeconds = state.Seconds;
                    report = Evaluator.Run(dir, dataDir, new EvaluationOptions { Seed = seed }, log);
                    ReportWriter.WriteFiles(dir, report);
                }

                var search = searchPath?.Invoke(dir, dataDir, seed);
                runs.Add(new AblationRun(objective.ToArgument(), seed, trainSeconds, report, search));
                log.WriteLine($"[ablation] {objective.ToArgument()} seed {seed}: embedding HR@200 {report.Model.All.Hr200:F4}, SF@50 {report.SemanticFidelity50:F4}" +
                    (search is null ? string.Empty : $"; Search HR@50 {search.Metrics["HR@50"]:F4}, HR@200 {search.Metrics["HR@200"]:F4}"));
            }
        }

        var rows = objectives.Select(o =>
        {
            var mine = runs.Where(r => r.Objective == o.ToArgument()).ToList();
            return new AblationRow(o.ToArgument(), mine.Count,
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
        return new AblationResult(dataDir, pretrainDir, pretrainSeconds, runs, rows, popularity, baselines, Differences(runs, objectives),
            clock.Elapsed.TotalSeconds);
    }

    /// <summary>Every objective against action-only and against each baseline, on the Search path, paired over seeds and examples.</summary>
    private static List<ObjectiveDifference> Differences(List<AblationRun> runs, IReadOnlyList<Objective> objectives)
    {
        var result = new List<ObjectiveDifference>();
        if (runs.Any(r => r.Search is null))
        {
            return result;
        }

        double[][] Seeds(string objective, string metric) =>
            runs.Where(r => r.Objective == objective).Select(r => r.Search!.PerExample[metric]).ToArray();
        var names = objectives.Select(o => o.ToArgument()).ToList();
        foreach (string name in names)
        {
            foreach (string metric in AblationMetrics.ComparedMetrics)
            {
                if (name != "action" && names.Contains("action"))
                {
                    Add(name, "action", metric, Seeds(name, metric), Seeds("action", metric));
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
}
