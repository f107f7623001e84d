using Karma.Training.Configuration;
using Karma.Training.Objectives;

namespace Karma.Training.Tests;

public sealed class ObjectiveTests
{
    public static TheoryData<Objective> Objectives() => [.. ObjectiveExtensions.All];

    [Theory]
    [MemberData(nameof(Objectives))]
    public void Name_RoundTrips(Objective objective)
        => Assert.Equal(objective, ObjectiveExtensions.Parse(objective.ToArgument()));

    [Fact]
    public void All_HoldsEveryValueOnce()
        => Assert.Equal(Enum.GetValues<Objective>().Order(), ObjectiveExtensions.All.Order());

    [Fact]
    public void Families_AreThoseOfThePaper()
    {
        Assert.Equal(Regularizers.None, Objective.Action.Families());
        Assert.Equal(Regularizers.Gen | Regularizers.Rec, Objective.Karma.Families());
        Assert.True(Objective.KarmaImg.Uses(Regularizers.Img));
        Assert.True(Objective.KarmaImg.Uses(Regularizers.Gen | Regularizers.Rec));
        Assert.False(Objective.ActionImg.Uses(Regularizers.Rec));
    }

    [Fact]
    public void Parse_NamesEveryObjectiveWhenTheNameIsUnknown()
    {
        var e = Assert.Throws<ArgumentException>(() => ObjectiveExtensions.Parse("karma_img"));
        Assert.StartsWith("unknown objective 'karma_img' (expected action, gen, rec, karma, action-img or karma-img)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_NamesEachTermOnce_AndCoversEveryFamily()
    {
        var names = LossTerms.Registered.Select(t => t.Name).ToList();
        Assert.Equal(names.Distinct().Count(), names.Count);
        Assert.DoesNotContain("act", names);
        foreach (var family in new[] { Regularizers.Gen, Regularizers.Rec, Regularizers.Img })
        {
            Assert.Contains(LossTerms.Registered, t => t.Family == family);
        }
    }

    [Theory]
    [InlineData("bpr", ActionLoss.Bpr)]
    [InlineData("infonce", ActionLoss.InfoNce)]
    public void ActionLoss_ReadsItsConfigName(string name, ActionLoss expected)
    {
        string file = WriteConfig($$"""{ "align": { "action_loss": "{{name}}" } }""");
        Assert.Equal(expected, Json.Read<TrainingConfig>(file).Align.ActionLoss);
        File.Delete(file);
    }

    [Theory]
    [InlineData("\"info-nce\"")]
    [InlineData("\"softmax\"")]
    [InlineData("1")]
    [InlineData("7")]
    public void ActionLoss_RefusesAnythingButItsNames(string value)
    {
        string file = WriteConfig($$"""{ "align": { "action_loss": {{value}} } }""");
        var e = Assert.Throws<InvalidDataException>(() => Json.Read<TrainingConfig>(file));
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
        Assert.Contains("action_loss", e.Message, StringComparison.Ordinal);
        File.Delete(file);
    }

    [Fact]
    public void Validate_RefusesAnUndefinedActionLoss()
    {
        var config = new TrainingConfig { Align = new AlignConfig { ActionLoss = (ActionLoss)7 } };
        var e = Assert.Throws<InvalidDataException>(config.Validate);
        Assert.Contains("ActionLoss", e.Message, StringComparison.Ordinal);
    }

    private static string WriteConfig(string json)
    {
        string file = Path.Combine(Path.GetTempPath(), $"karma-config-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, json);
        return file;
    }
}
