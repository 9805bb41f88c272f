namespace IncusBackup.Verify;

/// <summary>What one check found wrong, in order; it becomes a failed <see cref="TestCheck"/> carrying the first problem's ErrorId.</summary>
internal sealed class CheckProblems(string check)
{
    private readonly List<(string ErrorId, string Message)> _problems = [];

    public bool Any => _problems.Count > 0;

    public void Add(string errorId, string message) => _problems.Add((errorId, message));

    public void Add((string ErrorId, string Message) problem) => _problems.Add(problem);

    /// <summary>Failed with every problem when there is one; otherwise passed with <paramref name="passed"/>.</summary>
    public TestCheck Result(string passed) => Any
        ? new TestCheck
        {
            Name = check,
            Outcome = CheckOutcome.Failed,
            ErrorId = _problems[0].ErrorId,
            Message = string.Join("; ", _problems.Select(p => p.Message)) + ".",
        }
        : Passed(check, passed);

    public static TestCheck Passed(string check, string message) => new() { Name = check, Outcome = CheckOutcome.Passed, Message = message };

    public static TestCheck Skipped(string check, string why) => new() { Name = check, Outcome = CheckOutcome.Skipped, Message = why };

    public static TestCheck Failed(string check, string errorId, string message) =>
        new() { Name = check, Outcome = CheckOutcome.Failed, ErrorId = errorId, Message = message };
}
