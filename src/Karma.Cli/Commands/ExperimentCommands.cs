using System.CommandLine;
using System.Text.Json;
using Karma.Core.Data.Synthetic;
using Karma.Evaluation;
using Karma.Export.Packaging;
using Karma.Training.Configuration;
using Karma.Training.Experiments;
using Karma.Training.Objectives;
using Karma.Training.Training;

namespace Karma.Cli.Commands;

/// <summary><c>karma experiment ablation</c>.</summary>
internal static class ExperimentCommands
{
    public static Command Create() => new("experiment", "Reproducible experiments") { Ablation() };

    private static Command Ablation()
    {
        var preset = new Option<string>("--preset") { Description = "Generate data with this preset (tiny|small|medium)", DefaultValueFactory = _ => "small" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Use this data directory instead of generating one" };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per objective", DefaultValueFactory = _ => 3 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output directory", DefaultValueFactory = _ => new DirectoryInfo("runs/ablation") };
        var config = new Option<FileInfo?>("--config") { Description = "Training config JSON (default: configs/<preset>.json when present, else built-in)" };
        var objectives = new Option<string>("--objectives") { Description = "Comma-separated objectives", DefaultValueFactory = _ => "action,gen,rec,karma,karma-img" };
        var textEncoders = new Option<string?>("--text-encoders")
        {
            Description = "Comma-separated text encoders to train every objective with: none (from scratch), all-MiniLM-L6-v2 (frozen pretrained; " +
                "runs named <objective>+minilm). Default: the config's model.text_encoder",
        };
        var embeddingOnly = new Option<bool>("--embedding-only") { Description = "Skip exporting each run and evaluating its Search path (faster; embedding metrics only)" };
        var cmd = new Command("ablation",
            "Train every objective (from scratch and/or with the frozen pretrained text encoder) from one stage-1 checkpoint over several seeds; " +
            "evaluate each run's Search path against the baselines; " +
            "write tables with paired intervals and a PNG")
        {
            preset, data, seeds, output, config, objectives, textEncoders, embeddingOnly,
        };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            string outDir = parse.GetValue(output)!.FullName;
            Directory.CreateDirectory(outDir);
            string presetName = parse.GetValue(preset)!;
            string dataDir = parse.GetValue(data)?.FullName ?? Path.Combine(outDir, "data");
            if (parse.GetValue(data) is null && !File.Exists(Path.Combine(dataDir, "events.csv")))
            {
                var summary = SyntheticLogGenerator.Generate(SyntheticPreset.Get(presetName), 42, dataDir,
                    new Progress<string>(m => Console.Error.WriteLine($"[data] {m}")));
                Console.Error.WriteLine($"[data] {summary}");
            }

            var configFile = parse.GetValue(config) ?? new FileInfo(Path.Combine("configs", presetName + ".json"));
            var trainingConfig = configFile.Exists ? Json.Read<TrainingConfig>(configFile.FullName) : new TrainingConfig();
            trainingConfig.Validate();
            var list = parse.GetValue(objectives)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(ObjectiveExtensions.Parse).ToList();
            var encoders = parse.GetValue(textEncoders)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            foreach (string encoder in encoders ?? [])
            {
                ModelConfig.CheckTextEncoder(encoder); // an unknown name fails before anything trains, naming it
            }

            var result = AblationRunner.Run(dataDir, outDir, trainingConfig, parse.GetValue(seeds), list,
                parse.GetValue(embeddingOnly) ? null : (checkpoint, data, seed) => SearchPath(checkpoint, data, seed, trainingConfig.PreRank),
                textEncoders: encoders);
            string command = "karma " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
            // The per-request values behind the intervals stay in each run's quality/ (examples.csv, search-path.json):
            // 15 MB of them would drown the summary.
            var compact = result with
            {
                Runs = result.Runs.Select(r => r with
                {
                    Search = r.Search is null ? null : r.Search with
                    {
                        PerExample = new Dictionary<string, double[]>(),
                        BaselinePerExample = new Dictionary<string, IReadOnlyDictionary<string, double[]>>(),
                    },
                }).ToList(),
            };
            File.WriteAllText(Path.Combine(outDir, "ablation.json"), JsonSerializer.Serialize(compact, Json.Options) + "\n");
            string md = AblationReport.ToMarkdown(result, command);
            File.WriteAllText(Path.Combine(outDir, "ablation.md"), md);
            AblationReport.SavePng(result, Path.Combine(outDir, "ablation.png"));
            Console.WriteLine(md);
            Console.WriteLine($"wrote {Path.Combine(outDir, "ablation.md")}, ablation.json and ablation.png");
            return 0;
        }));
        return cmd;
    }

    /// <summary>
    /// Exports a run's checkpoint to <c>package/</c> beside it (training its pre-ranker) and evaluates the package's Search
    /// path against the baselines into <c>quality/</c>; a run whose <c>quality/search-path.json</c> is newer than its
    /// checkpoint is reused.
    /// </summary>
    private static SearchPathRun SearchPath(string checkpointDir, string dataDir, int seed, PreRankConfig preRank)
    {
        string package = Path.Combine(checkpointDir, "package");
        string qualityDir = Path.Combine(checkpointDir, "quality");
        string cached = Path.Combine(qualityDir, "search-path.json");
        if (File.Exists(cached) && File.GetLastWriteTimeUtc(cached) > File.GetLastWriteTimeUtc(Path.Combine(checkpointDir, Checkpoint.ConfigFile)))
        {
            return Json.Read<SearchPathRun>(cached);
        }

        ModelExporter.Export(new ExportOptions { CheckpointDir = checkpointDir, OutDir = package, DataDir = dataDir, Force = true, PreRank = preRank });
        var quality = QualityEvaluator.Run(new QualityOptions { PackageDir = package, DataDir = dataDir, Seed = seed });
        QualityReportWriter.WriteFiles(qualityDir, quality, $"karma eval --package {package} --data {dataDir} --seed {seed}");
        IReadOnlyDictionary<string, double[]> PerExample(string system) => AblationMetrics.SearchMetrics.ToDictionary(m => m,
            m => QualityEvaluator.PerExample(quality.Examples, quality.Outcomes[system], m));
        var baselines = quality.Report.Systems.Where(x => x.Kind == "baseline").ToList();
        var run = new SearchPathRun(
            quality.Report.Systems.Single(x => x.Name == "search").Metrics,
            PerExample("search"),
            baselines.ToDictionary(b => b.Name, b => b.Metrics),
            baselines.ToDictionary(b => b.Name, b => PerExample(b.Name)));
        Json.Write(cached, run);
        return run;
    }
}
