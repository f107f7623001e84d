using System.CommandLine;
using Karma.Core.Data.Synthetic;
using Karma.Core.Package;
using Karma.Evaluation;
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
        var force = new Option<bool>("--force") { Description = "Write whatever the quality gate says (recorded in the manifest) and replace an existing package" };
        var noGate = new Option<bool>("--no-gate") { Description = "Skip the Search-path evaluation and the quality gate (benchmark packages); the manifest records none" };
        var config = new Option<FileInfo?>("--config") { Description = "Training config whose pre_rank and gate sections replace the checkpoint's (retrain only the pre-ranker)" };
        var cmd = new Command("export",
            "Build ONNX graphs, item tables and the BM25 index from a checkpoint, train the pre-ranker on the Search path's candidates; " +
            "evaluate the Search path against the baselines; refuse to write unless parity holds and the quality gate passes")
        {
            checkpoint, output, data, f16, force, noGate, config,
        };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var overrides = parse.GetValue(config) is { } file ? ReadConfig(file) : null;
            var result = ModelExporter.Export(new ExportOptions
            {
                CheckpointDir = parse.GetValue(checkpoint)!.FullName,
                OutDir = parse.GetValue(output)!.FullName,
                DataDir = parse.GetValue(data)?.FullName,
                EmbeddingType = parse.GetValue(f16) ? VectorElementType.Float16 : VectorElementType.Float32,
                Force = parse.GetValue(force),
                ForceGate = parse.GetValue(force),
                SkipGate = parse.GetValue(noGate),
                PreRank = overrides?.PreRank,
                Gate = overrides?.Gate,
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
            if (report.Ok)
            {
                PrintGate(ModelManifest.Read(parse.GetValue(dir)!.FullName).Quality?.Gate);
            }

            return report.Ok ? 0 : 1;
        });
        return new Command("package", "Inspect model packages; import towers trained elsewhere") { verify, Import() };
    }

    /// <summary><c>karma package import</c>: a verified package from a user tower trained elsewhere (docs/package-format.md).</summary>
    private static Command Import()
    {
        var userTower = new Option<FileInfo>("--user-tower") { Description = "User tower, ONNX: input_ids [B,T] int64, history_tokens [B,T,d], interest_position [B] int64 -> interest [B,D]", Required = true };
        var embeddings = new Option<FileInfo>("--embeddings") { Description = "Item retrieval embeddings [N,D] (.npy, .fvecs or .safetensors), rows in items.jsonl order", Required = true };
        var tensor = new Option<string?>("--tensor") { Description = "The tensor of a .safetensors file holding several" };
        var historyTokens = new Option<FileInfo?>("--history-tokens") { Description = "History tokens [N,d] for the tower's [ITEM] slots (default: the embeddings)" };
        var tokenizer = new Option<FileInfo>("--tokenizer") { Description = "A BERT WordPiece vocab.txt, or a karma-bpe tokenizer.json", Required = true };
        var layout = new Option<string?>("--layout-tokens") { Description = "WordPiece tokens at the layout's [BOS],[ITEM],[SEP],[INT] (default [CLS],[MASK],[SEP],[unused0])" };
        var data = new Option<DirectoryInfo>("--data") { Description = "Data in the documented format (items.jsonl, events.csv): catalog, BM25 text, the pre-ranker's and the gate's requests", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Model package directory to write", Required = true };
        var name = new Option<string>("--name") { Description = "Name in the model version (import-NAME-…)", DefaultValueFactory = _ => "model" };
        var maxHistory = new Option<int>("--max-history") { Description = "Most history items passed to the tower", DefaultValueFactory = _ => 20 };
        var maxQuery = new Option<int>("--max-query-tokens") { Description = "Most query tokens passed to the tower", DefaultValueFactory = _ => 16 };
        var force = new Option<bool>("--force") { Description = "Write whatever the quality gate says (recorded in the manifest) and replace an existing package" };
        var noGate = new Option<bool>("--no-gate") { Description = "Skip the Search-path evaluation and the quality gate" };
        var cmd = new Command("import",
            "Build a verified package from towers trained elsewhere: check and run the user tower, write the item tables and BM25 index, " +
            "train the pre-ranker on its interests, evaluate against the baselines (quality gate)")
        {
            userTower, embeddings, tensor, historyTokens, tokenizer, layout, data, output, name, maxHistory, maxQuery, force, noGate,
        };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            if (parse.GetValue(maxHistory) is < 1 or > 1000 || parse.GetValue(maxQuery) is < 0 or > 512)
            {
                throw new ArgumentException("--max-history must be 1..1000 and --max-query-tokens 0..512");
            }

            var result = PackageImporter.Import(new ImportOptions
            {
                UserTower = parse.GetValue(userTower)!.FullName,
                Embeddings = parse.GetValue(embeddings)!.FullName,
                EmbeddingsTensor = parse.GetValue(tensor),
                HistoryTokens = parse.GetValue(historyTokens)?.FullName,
                Tokenizer = parse.GetValue(tokenizer)!.FullName,
                LayoutTokens = parse.GetValue(layout)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                DataDir = parse.GetValue(data)!.FullName,
                OutDir = parse.GetValue(output)!.FullName,
                Name = parse.GetValue(name)!,
                MaxHistory = parse.GetValue(maxHistory),
                MaxQueryTokens = parse.GetValue(maxQuery),
                Force = parse.GetValue(force),
                SkipGate = parse.GetValue(noGate),
            });
            Print(result);
            PrintGate(result.Manifest.Quality?.Gate);
            return 0;
        }));
        return cmd;
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
        var preset = new Option<string?>("--preset") { Description = "Generate synthetic data with this preset: " + string.Join(", ", SyntheticPreset.Names) };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Train on this data directory (items.jsonl + events.csv, the documented format)" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Model package directory to write", Required = true };
        var work = new Option<DirectoryInfo?>("--work") { Description = "Where data, checkpoints and reports go (default runs/pipeline-<preset or data directory name>)" };
        var objective = new Option<string>("--objective") { Description = "Stage-2 objective", DefaultValueFactory = _ => "karma" };
        var config = new Option<FileInfo?>("--config") { Description = "Training config (default: configs/<preset>.json when it exists, else built-in defaults)" };
        var seed = new Option<int>("--seed") { Description = "Training seed", DefaultValueFactory = _ => 1 };
        var dataSeed = new Option<int>("--data-seed") { Description = "Seed of the generated data (with --preset)", DefaultValueFactory = _ => 42 };
        var force = new Option<bool>("--force") { Description = "Replace an existing package at --out" };
        var cmd = new Command("pipeline",
            "data -> pretrain -> align -> export (with the pre-ranker) -> Search-path evaluation against the baselines, in one command")
        {
            preset, data, output, work, objective, config, seed, dataSeed, force,
        };
        cmd.Validators.Add(result =>
        {
            if ((result.GetValue(preset) is null) == (result.GetValue(data) is null))
            {
                result.AddError("give exactly one of --preset (generate data) and --data (use a data directory)");
            }
        });
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            string? name = parse.GetValue(preset);
            var given = parse.GetValue(data);
            string label = name ?? given!.Name;
            string workDir = parse.GetValue(work)?.FullName ?? Path.GetFullPath(Path.Combine("runs", "pipeline-" + label));
            string dataDir = given?.FullName ?? Path.Combine(workDir, "data");
            string outDir = parse.GetValue(output)!.FullName;
            if (!parse.GetValue(force) && Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
            {
                throw new IOException($"{outDir} exists and is not empty; pass --force to replace the package there");
            }

            var configFile = parse.GetValue(config) ?? (name is null ? null : new FileInfo(Path.Combine("configs", name + ".json")));
            var trainingConfig = configFile is { Exists: true } ? Json.Read<TrainingConfig>(configFile.FullName) : new TrainingConfig();
            if (parse.GetValue(config) is { Exists: false } missing)
            {
                throw new FileNotFoundException($"{missing.FullName}: config file not found");
            }

            trainingConfig.Validate();
            int s = parse.GetValue(seed);
            if (name is not null && !File.Exists(Path.Combine(dataDir, "events.csv")))
            {
                Console.Error.WriteLine($"[pipeline] generating {name} data (seed {parse.GetValue(dataSeed)}) into {dataDir}");
                SyntheticLogGenerator.Generate(SyntheticPreset.Get(name), parse.GetValue(dataSeed), dataDir,
                    new Progress<string>(m => Console.Error.WriteLine($"[data] {m}")));
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
                CheckpointDir = align, OutDir = outDir, DataDir = dataDir, Force = true, PreRank = trainingConfig.PreRank, Gate = trainingConfig.Gate,
            });
            var quality = result.Quality!; // the gate's evaluation: the package as written
            string qualityDir = Path.Combine(workDir, $"quality-{obj.ToArgument()}-seed{s}");
            string command = "karma " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
            QualityReportWriter.WriteFiles(qualityDir, quality, command);
            File.WriteAllText(Path.Combine(result.OutDir, "README.md"),
                PackageReadme(result, report, quality.Report, command, dataDir, configFile, obj, s));
            Console.WriteLine(QualityReportWriter.ToMarkdown(quality.Report, command));
            Print(result);
            Console.WriteLine($"quality report: {Path.Combine(qualityDir, QualityReportWriter.MarkdownFile)}");
            return 0;
        }));
        return cmd;
    }

    private static void PrintGate(ManifestGate? gate)
    {
        if (gate is null)
        {
            Console.WriteLine("quality gate: not run (exported with --no-gate, or before the gate existed)");
            return;
        }

        foreach (var c in gate.Checks)
        {
            Console.WriteLine($"{(c.Passed ? "pass" : "FAIL"),-5} {c.Name}: {c.Detail}");
        }

        Console.WriteLine(gate.Summary);
    }

    private static TrainingConfig ReadConfig(FileInfo file)
    {
        var config = Json.Read<TrainingConfig>(file.FullName);
        config.Validate();
        return config;
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

    private static string PackageReadme(ExportResult result, EvaluationReport report, QualityReport quality, string command, string dataDir,
        FileInfo? config, Objective objective, int seed)
    {
        var m = report.Model;
        var search = quality.Systems.Single(x => x.Name == "search").Metrics;
        string qualityTable = QualityReportWriter.ToMarkdown(quality, command);
        qualityTable = qualityTable[(qualityTable.IndexOf('\n', StringComparison.Ordinal) + 1)..].Trim();
        return $"""
            # Model package `{result.Manifest.ModelVersion}`

            Produced by

            ```bash
            {command}
            ```

            from the data in `{Path.GetRelativePath(Environment.CurrentDirectory, dataDir)}`: stage-1 pretraining -> stage-2 alignment with `{objective.ToArgument()}` (seed {seed},
            {(config is { Exists: true } ? $"config `{Path.GetFileName(config.FullName)}`" : "built-in config")}) -> export, which trains the query-aware
            pre-ranker on the Search path's candidates for the validation requests -> evaluation of the Search path. Verify with
            `karma package verify <this directory>`.

            ## Search path on the test requests

            Search HR@50 {search["HR@50"]:F4}, HR@200 {search["HR@200"]:F4}, category precision@10 {search["CatP@10"]:F4}.

            {qualityTable}

            ## The embedding alone (h_t · e over all items)

            | metric (test split, {m.All.Count} users, {report.Items} items) | value |
            |---|---:|
            | HR@50 / HR@200 / HR@1000 | {m.All.Hr50:F4} / {m.All.Hr200:F4} / {m.All.Hr1000:F4} |
            | NDCG@10 | {m.All.Ndcg10:F4} |
            | HR@200 warm / cold | {m.Warm.Hr200:F4} / {m.Cold.Hr200:F4} |
            | semantic fidelity SF@50 | {report.SemanticFidelity50:F4} |
            | attention-sink max-key mass (uniform: {report.AttentionSinks.UniformReference:F4}) | {report.AttentionSinks.MaxKeyMass:F4} |

            ## Pre-ranker

            Trained on {result.PreRank.TrainExamples:N0} requests, selected on {result.PreRank.HoldoutExamples:N0} held-out ones (step {result.PreRank.BestStep});
            the fused candidates held the clicked item for {result.PreRank.CandidateRecall:P1} of them.

            Parity (trainer vs ONNX Runtime, checked before writing):

            | graph | samples | max abs diff | top-10 agreement |
            |---|---:|---:|---:|
            {string.Join("\n", result.Parity.Select(p => $"| {p.Graph} | {p.Samples} | {p.MaxAbsDiff:E2} | {(p.Top10Agreement is { } a ? a.ToString("P2", System.Globalization.CultureInfo.InvariantCulture) : "-")} |"))}

            Files: see `manifest.json` (SHA-256, shapes, graph signatures). Total {result.Bytes / 1024.0 / 1024.0:F2} MiB.
            """ + "\n";
    }
}
