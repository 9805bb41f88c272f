namespace IncusBackup.Tests.Infrastructure;

/// <summary>Positions in each of <see cref="TestHostUI"/>'s recordings, to take what one invocation added.</summary>
public readonly record struct HostRecordingMark(
    int Lines,
    int WhatIfLines,
    int VerboseLines,
    int WarningLines,
    int ErrorLines,
    int DebugLines,
    int InformationRecords,
    int ProgressRecords,
    int Prompts);
