using System.Diagnostics;
using Karma.Training.Configuration;
using Karma.Training.Evaluation;
using Karma.Training.Objectives;
using Karma.Training.Training;

namespace Karma.Training.Experiments;

/// <summary>
/// Trains every objective from one shared stage-1 checkpoint for several seeds, evaluates each run, and
/// aggregates mean and spread. Finished runs (a checkpoint plus metrics.json) are reused, so an interrupted
/// ablation continues where it stopped.
/// </summary>
public static class AblationRunner
{
    /// <summary>Runs the ablation on <paramref name="dataDir"/> into <paramref name="outDir"/>.</summary>
    public static AblationResult Run(string dataDir, string outDir, TrainingConfig config, int seeds,
        IReadOnlyList<Objective> objectives, TextWriter? log = null)
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

                runs.Add(new AblationRun(objective.ToArgument(), seed, trainSeconds, report));
                log.WriteLine($"[ablation] {objective.ToArgument()} seed {seed}: HR@200 {report.Model.All.Hr200:F4} (cold {report.Model.Cold.Hr200:F4}), SF@50 {report.SemanticFidelity50:F4}");
            }
        }

        var rows = objectives.Select(o =>
        {
            var mine = runs.Where(r => r.Objective == o.ToArgument()).ToList();
            return new AblationRow(o.ToArgument(), mine.Count,
                AblationMetrics.Columns.ToDictionary(c => c.Name, c => Stat.Of(mine.Select(r => c.Read(r.Report)).ToList())));
        }).ToList();
        var first = runs[0].Report;
        var popularity = new AblationRow("popularity", 1,
            AblationMetrics.Columns.ToDictionary(c => c.Name, c => new Stat(AblationMetrics.Popularity(first, c.Name), 0)));
        return new AblationResult(dataDir, pretrainDir, pretrainSeconds, runs, rows, popularity, clock.Elapsed.TotalSeconds);
    }
}
