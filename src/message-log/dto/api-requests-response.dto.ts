import { ApiProperty } from '@nestjs/swagger';

/** One API request in seed 004's log shape. */
export class ApiRequestLogDto {
  @ApiProperty({ type: String, nullable: true, example: 'hello_world' })
  template_name!: string | null;

  @ApiProperty({ example: '583e40b0c04347c7' })
  message_uid!: string;

  @ApiProperty({ type: String, nullable: true, example: '+919812345678' })
  contact_number!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'John Doe' })
  contact_name!: string | null;

  @ApiProperty({ type: Boolean, nullable: true, description: 'null while the message is scheduled, queued or sending', example: true })
  sent!: boolean | null;

  @ApiProperty({ type: Boolean, nullable: true, example: true })
  delivered!: boolean | null;

  @ApiProperty({ type: Boolean, nullable: true, example: false })
  read!: boolean | null;

  @ApiProperty({ type: Boolean, nullable: true, example: false })
  failed!: boolean | null;

  @ApiProperty({ example: '2025-07-02T04:25:49.001Z' })
  createdAt!: string;
}

export class PaginationDetailsDto {
  @ApiProperty({ example: 64 }) totalCount!: number;
  @ApiProperty({ example: 7 }) totalPages!: number;
  @ApiProperty({ example: 1 }) currentPage!: number;
  @ApiProperty({ type: Number, nullable: true, example: 2 }) nextPage!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: null }) prevPage!: number | null;
}

export class ApiRequestsDataDto {
  @ApiProperty({ description: 'Messages matching the filters', example: 64 }) totalMessages!: number;
  @ApiProperty({ description: 'Of those, sent (sent, delivered or read)', example: 60 }) sentCount!: number;
  @ApiProperty({ description: 'Of those, delivered (delivered or read)', example: 41 }) deliveredCount!: number;
  @ApiProperty({ description: 'Of those, read', example: 12 }) readCount!: number;
  @ApiProperty({ description: 'Of those, failed', example: 4 }) failedCount!: number;
  @ApiProperty({ type: [ApiRequestLogDto] }) logs!: ApiRequestLogDto[];
  @ApiProperty({ type: PaginationDetailsDto }) paginationDetails!: PaginationDetailsDto;
}

export class ApiRequestsResponseDto {
  @ApiProperty({ example: 200 }) code!: number;
  @ApiProperty({ example: 'API logs fetched successfully' }) message!: string;
  @ApiProperty({ example: true }) success!: boolean;
  @ApiProperty({ type: ApiRequestsDataDto }) data!: ApiRequestsDataDto;
}

export class ExternalErrorDto {
  @ApiProperty({ example: 400 }) code!: number;
  @ApiProperty({ example: 'sent must be true or false' }) message!: string;
  @ApiProperty({ example: false }) success!: boolean;
}
