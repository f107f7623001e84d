using System.CommandLine;
using System.Text.Json;
using Karma.Core.Data.Synthetic;
using Karma.Training.Configuration;
using Karma.Training.Experiments;
using Karma.Training.Objectives;

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
        var cmd = new Command("ablation", "Train every objective from one stage-1 checkpoint over several seeds; write a table and a PNG")
        {
            preset, data, seeds, output, config, objectives,
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
            var result = AblationRunner.Run(dataDir, outDir, trainingConfig, parse.GetValue(seeds), list);
            string command = "karma " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
            File.WriteAllText(Path.Combine(outDir, "ablation.json"), JsonSerializer.Serialize(result, Json.Options) + "\n");
            string md = AblationReport.ToMarkdown(result, command);
            File.WriteAllText(Path.Combine(outDir, "ablation.md"), md);
            AblationReport.SavePng(result, Path.Combine(outDir, "ablation.png"));
            Console.WriteLine(md);
            Console.WriteLine($"wrote {Path.Combine(outDir, "ablation.md")}, ablation.json and ablation.png");
            return 0;
        }));
        return cmd;
    }
}
