import { ApiProperty } from '@nestjs/swagger';

/** An attachment record as the API shows it (seed 000). */
export class AttachmentDto {
  @ApiProperty({ example: '61b1b55ca29cc051b494dd4f' })
  _id!: string;

  @ApiProperty({ description: 'Extension of the type detected from the content', example: 'jpeg' })
  type!: string;

  @ApiProperty({ description: 'MIME type detected from the content (never the client\'s claim)', example: 'image/jpeg' })
  mimetype!: string;

  @ApiProperty({ description: '15 random upper-case letters and digits', example: 'IIETQZEPT3EPLWC' })
  name!: string;

  @ApiProperty({
    description: 'Where the bytes are: ./public/attachments/<name>.<type> on local disk, gridfs://attachments/<name>.<type> in GridFS',
    example: './public/attachments/IIETQZEPT3EPLWC.jpeg',
  })
  path!: string;

  @ApiProperty({ description: 'Bytes', example: 48213 })
  size!: number;

  @ApiProperty({ example: '61a7bd6ea34282366c025764' })
  client_id!: string;

  @ApiProperty({ example: '2021-12-09T07:50:52.071Z' })
  createdAt!: string;

  @ApiProperty({ example: '2021-12-09T07:50:52.071Z' })
  updatedAt!: string;

  @ApiProperty({ example: 0 })
  __v!: number;
}
