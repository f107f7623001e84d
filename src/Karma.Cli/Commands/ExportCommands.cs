using System.CommandLine;
using Karma.Core.Data.Synthetic;
using Karma.Core.Package;
using Karma.Export.Packaging;
using Karma.Training.Configuration;
using Karma.Training.Evaluation;
using Karma.Training.Objectives;
using Karma.Training.Training;

namespace Karma.Cli.Commands;

/// <summary><c>karma export</c>, <c>karma package verify</c> and <c>karma pipeline</c>.</summary>
internal static class ExportCommands
{
    public static Command Export()
    {
        var checkpoint = new Option<DirectoryInfo>("--checkpoint") { Description = "Align checkpoint (evaluated, so it has a pre-ranker)", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Model package directory to write", Required = true };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Data directory (default: the checkpoint's)" };
        var f16 = new Option<bool>("--f16") { Description = "Store retrieval embeddings as float16" };
        var force = new Option<bool>("--force") { Description = "Replace an existing package" };
        var cmd = new Command("export", "Build ONNX graphs and item tables from a checkpoint; refuse to write unless parity holds")
        {
            checkpoint, output, data, f16, force,
        };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var result = ModelExporter.Export(new ExportOptions
            {
                CheckpointDir = parse.GetValue(checkpoint)!.FullName,
                OutDir = parse.GetValue(output)!.FullName,
                DataDir = parse.GetValue(data)?.FullName,
                EmbeddingType = parse.GetValue(f16) ? VectorElementType.Float16 : VectorElementType.Float32,
                Force = parse.GetValue(force),
            });
            Print(result);
            return 0;
        }));
        return cmd;
    }

    public static Command Package()
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "Model package directory" };
        var verify = new Command("verify", "Check hashes, shapes and manifest; load every graph; run a smoke query") { dir };
        verify.SetAction(parse =>
        {
            var report = PackageVerifier.Verify(parse.GetValue(dir)!.FullName);
            foreach (string c in report.Checks)
            {
                Console.WriteLine($"ok    {c}");
            }

            foreach (string p in report.Problems)
            {
                Console.Error.WriteLine($"FAIL  {p}");
            }

            Console.WriteLine(report.Ok ? "package verified" : $"package rejected: {report.Problems.Count} problem(s)");
            return report.Ok ? 0 : 1;
        });
        return new Command("package", "Inspect model packages") { verify };
    }

    public static Command Publish()
    {
        var package = new Option<DirectoryInfo>("--package") { Description = "Verified model package to publish", Required = true };
        var redis = new Option<string>("--redis") { Description = "Redis connection string, e.g. localhost:6379", Required = true };
        var cmd = new Command("publish", "Store a model package in Redis (chunked, checksummed) and announce it to every replica") { package, redis };
        cmd.SetAction(async parse =>
        {
            string dir = parse.GetValue(package)!.FullName;
            var report = PackageVerifier.Verify(dir);
            if (!report.Ok)
            {
                Console.Error.WriteLine("error: package rejected: " + string.Join("; ", report.Problems));
                return 1;
            }

            var config = StackExchange.Redis.ConfigurationOptions.Parse(parse.GetValue(redis)!);
            config.AbortOnConnectFail = true;
            try
            {
                await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(config);
                string version = await new Karma.Serving.Core.Distribution.RedisPackageStore(connection).PublishAsync(dir);
                Console.WriteLine($"published and announced {version}");
                return 0;
            }
            catch (StackExchange.Redis.RedisException e)
            {
                Console.Error.WriteLine($"error: redis: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }

    public static Command Pipeline()
    {
        var preset = new Option<string>("--preset") { Description = "Data preset", DefaultValueFactory = _ => "small" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Model package directory", Required = true };
        var work = new Option<DirectoryInfo?>("--work") { Description = "Where data and checkpoints go (default runs/pipeline-<preset>)" };
        var objective = new Option<string>("--objective") { Description = "Stage-2 objective", DefaultValueFactory = _ => "karma-img" };
        var config = new Option<FileInfo?>("--config") { Description = "Training config (default configs/<preset>.json)" };
        var seed = new Option<int>("--seed") { Description = "Training seed", DefaultValueFactory = _ => 1 };
        var cmd = new Command("pipeline", "generate -> pretrain -> align -> pre-ranker/eval -> export, in one command")
        {
            preset, output, work, objective, config, seed,
        };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            string name = parse.GetValue(preset)!;
            string workDir = parse.GetValue(work)?.FullName ?? Path.GetFullPath(Path.Combine("runs", "pipeline-" + name));
            string dataDir = Path.Combine(workDir, "data");
            var configFile = parse.GetValue(config) ?? new FileInfo(Path.Combine("configs", name + ".json"));
            var trainingConfig = configFile.Exists ? Json.Read<TrainingConfig>(configFile.FullName) : new TrainingConfig();
            int s = parse.GetValue(seed);
            if (!File.Exists(Path.Combine(dataDir, "events.csv")))
            {
                Console.Error.WriteLine($"[pipeline] generating {name} data");
                SyntheticLogGenerator.Generate(SyntheticPreset.Get(name), 42, dataDir);
            }

            string pretrain = Path.Combine(workDir, $"pretrain-seed{s}");
            Pretrainer.Run(new RunOptions { DataDir = dataDir, OutDir = pretrain, Config = trainingConfig, Seed = s, Resume = true });
            var obj = ObjectiveExtensions.Parse(parse.GetValue(objective)!);
            string align = Path.Combine(workDir, $"{obj.ToArgument()}-seed{s}");
            Aligner.Run(new RunOptions { DataDir = dataDir, OutDir = align, Config = trainingConfig, Seed = s, Resume = true }, pretrain, obj);
            var report = Evaluator.Run(align, dataDir, new EvaluationOptions { Seed = s });
            ReportWriter.WriteFiles(align, report);
            var result = ModelExporter.Export(new ExportOptions
            {
                CheckpointDir = align,
                OutDir = parse.GetValue(output)!.FullName,
                DataDir = dataDir,
                Force = true,
            });
            File.WriteAllText(Path.Combine(result.OutDir, "README.md"), PackageReadme(result, report, name, obj, configFile, s));
            Console.WriteLine(ReportWriter.ToMarkdown(report));
            Print(result);
            return 0;
        }));
        return cmd;
    }

    private static void Print(ExportResult result)
    {
        foreach (var p in result.Parity)
        {
            Console.WriteLine($"parity {p.Graph,-10} samples {p.Samples,6}  max |diff| {p.MaxAbsDiff:E2}" +
                (p.Top10Agreement is { } a ? $"  top-10 agreement {a:P2}" : string.Empty));
        }

        Console.WriteLine($"wrote {result.OutDir} ({result.Bytes / 1024.0 / 1024.0:F2} MiB), model version {result.Manifest.ModelVersion}");
    }

    private static string PackageReadme(ExportResult result, EvaluationReport report, string preset, Objective objective,
        FileInfo config, int seed)
    {
        var m = report.Model;
        return $"""
            # Model package `{result.Manifest.ModelVersion}`

            Produced by

            ```bash
            dotnet run --project src/Karma.Cli -c Release -- pipeline --preset {preset} --objective {objective.ToArgument()} --seed {seed} --out models/default
            ```

            i.e. synthetic `{preset}` data (seed 42) -> stage-1 pretraining -> stage-2 alignment with `{objective.ToArgument()}` ->
            pre-ranker and evaluation -> export, with `{Path.GetFileName(config.FullName)}`. Verify with `karma package verify models/default`.

            | metric (test split, {m.All.Count} users, {report.Items} items) | value |
            |---|---:|
            | HR@50 / HR@200 / HR@1000 | {m.All.Hr50:F4} / {m.All.Hr200:F4} / {m.All.Hr1000:F4} |
            | NDCG@10 | {m.All.Ndcg10:F4} |
            | HR@200 warm / cold | {m.Warm.Hr200:F4} / {m.Cold.Hr200:F4} |
            | semantic fidelity SF@50 | {report.SemanticFidelity50:F4} |
            | attention-sink max-key mass (uniform: {report.AttentionSinks.UniformReference:F4}) | {report.AttentionSinks.MaxKeyMass:F4} |
            | pre-ranker gAUC with h_t / history-mean baseline | {report.PreRank?.GaucWithInterest:F4} / {report.PreRank?.GaucWithoutInterest:F4} |

            Parity (trainer vs ONNX Runtime, checked before writing):

            | graph | samples | max abs diff | top-10 agreement |
            |---|---:|---:|---:|
            {string.Join("\n", result.Parity.Select(p => $"| {p.Graph} | {p.Samples} | {p.MaxAbsDiff:E2} | {(p.Top10Agreement is { } a ? a.ToString("P2", System.Globalization.CultureInfo.InvariantCulture) : "-")} |"))}

            Files: see `manifest.json` (SHA-256, shapes, graph signatures). Total {result.Bytes / 1024.0 / 1024.0:F2} MiB.
            """ + "\n";
    }
}
