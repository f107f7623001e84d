using Karma.Core.Data;

namespace Karma.Core.Tests.Data;

/// <summary>
/// Statistics of a small data set written by hand, as another tool might write the documented format:
/// JSON fields in another order, CSV columns in another order, CRLF line ends, quoted queries with commas,
/// and no request ids (requests are then grouped by user, timestamp and query).
/// </summary>
public sealed class DataStatisticsTests : IDisposable
{
    private const string Items =
        """
        {"title":"Red running shoe","item_id":"a","price":59.5,"category":"footwear/athletic/sneaker","image_embedding":[0.1,0.2,0.3]}
        {"category":"footwear/athletic/sneaker","image_embedding":[0.3,0.2,0.1],"item_id":"b","brand":"X","title":"Blue trainer"}
        {"image_embedding":[0,0,1],"item_id":"c","category":"home/decor/lamp","title":"Desk lamp, white","description":"A \"bright\" lamp."}
        {"item_id":"d","title":"Ceramic mug","category":"kitchen/tableware/mug","image_embedding":[1,0,0],"price":null}
        {"item_id":"e","title":"Oak desk","category":"home/furniture/desk","image_embedding":[0,1,0]}
        {"item_id":"f","category":"beauty/makeup/lipstick","title":"Lip tint","image_embedding":[1,1,1]}
        """;

    // U1: 4 requests, engaged a, c, d (click+cart+purchase), a. U2: 2 requests, engaged b, e. U3: 1 request, none.
    private const string Events =
        "timestamp,action,user_id,query,item_id,request_id\r\n"
        + "100,impression,U1,\"running shoes, red\",a,\r\n"
        + "100,impression,U1,\"running shoes, red\",b,\r\n"
        + "100,click,U1,\"running shoes, red\",a,\r\n"
        + "150,impression,U2,trainer,b,\r\n"
        + "150,impression,U2,trainer,a,\r\n"
        + "150,click,U2,trainer,b,\r\n"
        + "200,impression,U1,lamp,c,\r\n"
        + "200,impression,U1,lamp,d,\r\n"
        + "200,click,U1,lamp,c,\r\n"
        + "250,impression,U2,,e,\r\n"
        + "250,click,U2,,e,\r\n"
        + "300,impression,U1,,d,\r\n"
        + "300,impression,U1,,e,\r\n"
        + "300,click,U1,,d,\r\n"
        + "300,cart,U1,,d,\r\n"
        + "300,purchase,U1,,d,\r\n"
        + "400,impression,U1,\"mug, ceramic\",d,\r\n"
        + "400,impression,U1,\"mug, ceramic\",a,\r\n"
        + "400,click,U1,\"mug, ceramic\",a,\r\n"
        + "500,impression,U3,desk,e,\r\n"
        + "500,impression,U3,desk,c,\r\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("karma-stats-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Write(string items, string events)
    {
        File.WriteAllText(Path.Combine(_dir, ItemsJsonl.FileName), items);
        File.WriteAllText(Path.Combine(_dir, EventsCsv.FileName), events);
    }

    private static void AssertHandComputed(DataStatistics s, long badItems, long badEvents)
    {
        Assert.Equal(6, s.Items);
        Assert.Equal(3, s.Users);
        Assert.Equal(7, s.Requests);
        Assert.Equal(5, s.RequestsWithQuery);
        Assert.Equal(21, s.Events);
        Assert.Equal(13, s.EventsByAction[UserAction.Impression]);
        Assert.Equal(6, s.EventsByAction[UserAction.Click]);
        Assert.Equal(1, s.EventsByAction[UserAction.Cart]);
        Assert.Equal(1, s.EventsByAction[UserAction.Purchase]);
        Assert.Equal(8, s.EngagedEvents);
        Assert.Equal(1, s.UsersWithThreeEngagements); // U1 (4); U2 has 2, U3 none
        Assert.Equal(1, s.ItemsNeverEngaged); // f
        Assert.Equal(3, s.ImageDim);
        Assert.Equal(5, s.Categories);
        Assert.Equal(100, s.FirstTimestamp);
        Assert.Equal(500, s.LastTimestamp);
        Assert.Equal(TimeSpan.FromSeconds(400), s.Span);
        // U1: a, c train; d validation; a test. U2: b train; e test. U3: nothing engaged.
        Assert.Equal(3, s.TrainExamples);
        Assert.Equal(1, s.ValidationExamples);
        Assert.Equal(2, s.TestExamples);
        Assert.Equal(1, s.ColdTestTargets); // e was never a training target; a was
        Assert.Equal(badItems, s.BadItemRows);
        Assert.Equal(badEvents, s.BadEventRows);
    }

    [Fact]
    public void Compute_ForeignWrittenData_GivesHandComputedNumbers()
    {
        Write(Items, Events);
        AssertHandComputed(DataStatistics.Compute(SearchLog.Load(_dir, BadRowPolicy.Fail)), 0, 0);
    }

    [Fact]
    public void Compute_SkippedBadRows_AreCountedAndChangeNothingElse()
    {
        Write(Items + "\n{\"item_id\":\"g\",\"title\":\"\",\"category\":\"x/y/z\"}\n",
            Events + "450,like,U1,,a,\r\n" + "460,click,U1,,zz,\r\n");
        Assert.Throws<DataFormatException>(() => SearchLog.Load(_dir, BadRowPolicy.Fail));
        AssertHandComputed(DataStatistics.Compute(SearchLog.Load(_dir, BadRowPolicy.Skip)), 1, 2);
    }
}
